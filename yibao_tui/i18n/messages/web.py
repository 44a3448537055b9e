"""The web kiosk's texts (``yibao kiosk --web``, ``yibao_tui.web``)."""

ZH: dict[str, str] = {
    "web.serving": "自助终端网页版：{url}（每个浏览器连接一个独立会话；按 Ctrl+C 停止）",
    "web.remote_refused": "yibao kiosk --web：{host} 不是本机回环地址。自助终端网页默认只在本机提供；"
                          "确需其他机器访问，请加 --allow-remote，并经 TLS 反向代理提供（见 README）。",
    "web.bad_port": "yibao kiosk --web：端口 {port} 无效（应为 1 至 65535）。",
    "web.listen_failed": "yibao kiosk --web：无法在 {host}:{port} 上监听：{error}",
    "web.no_extra": "yibao kiosk --web 需要可选组件 web：pip install 'yibao-tui[web]'（缺少 {name}）",
    "web.session_ended": "本次服务已结束。",
    "web.restart": "重新开始",
}

EN: dict[str, str] = {
    "web.serving": "Web kiosk: {url} (one separate session per browser connection; Ctrl+C stops it)",
    "web.remote_refused": "yibao kiosk --web: {host} is not a loopback address. The web kiosk is served "
                          "on this machine only; to serve other machines add --allow-remote and put a "
                          "TLS reverse proxy in front (see README).",
    "web.bad_port": "yibao kiosk --web: port {port} is not valid (1 to 65535).",
    "web.listen_failed": "yibao kiosk --web: cannot listen on {host}:{port}: {error}",
    "web.no_extra": "yibao kiosk --web needs the web extra: pip install 'yibao-tui[web]' ({name} is missing)",
    "web.session_ended": "This session has ended.",
    "web.restart": "Start again",
}
