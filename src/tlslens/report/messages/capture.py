"""Strings of ``tlslens capture`` (live capture): status, per-handshake lines, errors.

Keys start with ``live.`` (``capture.*`` belongs to the report's capture header). Each
error names the fix, because the person reading it is at a terminal, about to retry.
"""

EN: dict[str, str] = {
    "live.listening": "Capturing on {iface} with filter '{filter}'; stop with Ctrl-C{limits}",
    "live.limit_duration": ", or after {seconds} s",
    "live.limit_count": ", or after {count} handshake(s)",
    "live.writing": "Writing the capture to {path}",
    "live.line": "{time}  {client} -> {server}  {sni}  {version}  {suite}  {verdict}",
    "live.no_sni": "(no SNI)",
    "live.verdict": "{level}: {summary}",
    "live.state": "handshake {state}",
    "live.summary": "Stopped after {seconds:.1f} s: {packets} packets, {tcp} TCP connections, "
                    "{tls} with TLS, {done} handshake(s) completed",
    "live.summary_conn": "#{id}  {client} -> {server}  {sni}  {version}  {suite}  {state}  "
                         "{verdict}",
    "live.saved": "Capture saved to {path} ({bytes} bytes): tlslens analyze {path}",
    "live.nothing": "No packet matched '{filter}' on {iface}: check the interface (-i, "
                    "'tcpdump -D' lists them), --port and --host",
    "live.no_tls": "Packets matched, but none of them carried TLS.",
    "live.dropped": "warning: the kernel dropped {n} packet(s) tcpdump could not take in "
                    "time; handshakes may be missing",
    "live.level.good": "good",
    "live.level.acceptable": "acceptable",
    "live.level.weak": "weak",
    "live.level.insecure": "insecure",
    "live.level.failed": "failed",
    "live.err.missing": "tcpdump not found ({program}): install it (Debian/Ubuntu: "
                        "apt-get install tcpdump; Fedora: dnf install tcpdump) or name it "
                        "with --tcpdump PATH",
    "live.err.permission": "no permission to capture on {iface}: run as root, or give "
                           "tcpdump CAP_NET_RAW once: setcap cap_net_raw,cap_net_admin=eip "
                           "{program} (tcpdump said: {message})",
    "live.err.interface": "no such interface '{iface}': 'tcpdump -D' lists the ones you can "
                          "capture on (tcpdump said: {message})",
    "live.err.filter": "tcpdump rejects the filter '{filter}': {message}; fix --filter "
                       "(pcap-filter(7) syntax)",
    "live.err.host": "cannot resolve --host: {message}; give an IP address or a name DNS "
                     "knows",
    "live.err.other": "tcpdump failed (exit status {rc}): {message}",
    "live.err.died": "tcpdump stopped on its own (exit status {rc}): {message}",
    "live.err.bad_host": "--host takes one name or address, not '{host}'; use --filter for "
                         "a filter expression",
    "live.err.bad_number": "{option} must be {what}, not {value}",
    "live.err.positive": "a number greater than 0",
    "live.err.port": "a port number from 1 to 65535",
    "live.err.write": "{path}: cannot write the capture: {reason}",
    "live.err.keylog": "--keylog {path}: is a directory; give the key log file the client "
                       "writes (it may not exist yet)",
}

ZH: dict[str, str] = {
    "live.listening": "正在 {iface} 上抓包，过滤条件 '{filter}'；按 Ctrl-C 停止{limits}",
    "live.limit_duration": "，或 {seconds} 秒后停止",
    "live.limit_count": "，或在 {count} 次握手后停止",
    "live.writing": "抓包写入 {path}",
    "live.line": "{time}  {client} -> {server}  {sni}  {version}  {suite}  {verdict}",
    "live.no_sni": "（无 SNI）",
    "live.verdict": "{level}：{summary}",
    "live.state": "握手{state}",
    "live.summary": "{seconds:.1f} 秒后停止：{packets} 个数据包，{tcp} 个 TCP 连接，"
                    "其中 {tls} 个使用 TLS，完成 {done} 次握手",
    "live.summary_conn": "#{id}  {client} -> {server}  {sni}  {version}  {suite}  {state}  "
                         "{verdict}",
    "live.saved": "抓包已保存到 {path}（{bytes} 字节）：tlslens analyze {path}",
    "live.nothing": "在 {iface} 上没有数据包匹配 '{filter}'：请检查网卡（-i，"
                    "'tcpdump -D' 可列出网卡）、--port 和 --host",
    "live.no_tls": "有匹配的数据包，但其中没有 TLS。",
    "live.dropped": "警告：内核丢弃了 {n} 个 tcpdump 来不及接收的数据包；可能漏掉握手",
    "live.level.good": "良好",
    "live.level.acceptable": "可接受",
    "live.level.weak": "弱",
    "live.level.insecure": "不安全",
    "live.level.failed": "失败",
    "live.err.missing": "找不到 tcpdump（{program}）：请安装（Debian/Ubuntu：apt-get install "
                        "tcpdump；Fedora：dnf install tcpdump），或用 --tcpdump PATH 指定",
    "live.err.permission": "没有在 {iface} 上抓包的权限：请以 root 运行，或一次性授予 tcpdump "
                           "CAP_NET_RAW：setcap cap_net_raw,cap_net_admin=eip {program}"
                           "（tcpdump 提示：{message}）",
    "live.err.interface": "没有名为 '{iface}' 的网卡：'tcpdump -D' 可列出可抓包的网卡"
                          "（tcpdump 提示：{message}）",
    "live.err.filter": "tcpdump 不接受过滤条件 '{filter}'：{message}；请修改 --filter"
                       "（pcap-filter(7) 语法）",
    "live.err.host": "无法解析 --host：{message}；请给出 IP 地址或 DNS 能解析的名称",
    "live.err.other": "tcpdump 出错（退出状态 {rc}）：{message}",
    "live.err.died": "tcpdump 意外停止（退出状态 {rc}）：{message}",
    "live.err.bad_host": "--host 只接受一个名称或地址，而不是 '{host}'；过滤表达式请用 --filter",
    "live.err.bad_number": "{option} 必须是{what}，而不是 {value}",
    "live.err.positive": "大于 0 的数",
    "live.err.port": "1 到 65535 之间的端口号",
    "live.err.write": "{path}：无法写入抓包文件：{reason}",
    "live.err.keylog": "--keylog {path}：是目录；请给出客户端写入的密钥日志文件（可以尚不存在）",
}
