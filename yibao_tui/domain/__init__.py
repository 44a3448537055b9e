"""Pure domain rules: money, ID numbers, relations, policy, masking. No I/O, no Textual."""
