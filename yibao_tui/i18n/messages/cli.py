"""The ``yibao`` command line's texts that any command may print (issue 10 items 4-8)."""

ZH: dict[str, str] = {
    "error_variant.INVALID_DATE.range": "日期范围无效：起始日期 {value} 晚于截止日期 {end}",
    "cli.statement.more": "共 {total} 笔；更早的明细：--cursor '{cursor}'",
    "token.role.admin": "管理员",
    "token.role.counter": "经办窗口",
    "token.role.kiosk": "自助终端",
    "token.role.personal": "本人",
}

EN: dict[str, str] = {
    "error_variant.INVALID_DATE.range": "Invalid date range: from {value} is after to {end}",
    "cli.statement.more": "{total} entries in all; the earlier ones: --cursor '{cursor}'",
    "token.role.admin": "admin",
    "token.role.counter": "counter",
    "token.role.kiosk": "kiosk",
    "token.role.personal": "personal",
}
