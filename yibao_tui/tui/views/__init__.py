"""The screens the laptop and the counter share (F2 balance, F3 family, F4 premium, F5 withdrawal,
person lookup) and their stylesheet; each imported only when first shown."""
