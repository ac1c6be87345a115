"""Decryption strings (text report section, and the English ``reason`` of the JSON).

``dec.reason.<reason_id>`` keys render the JSON ``decryption.reason_id`` with its
``reason_args``; the JSON ``reason`` is always the English one (stable for scripts).
"""

EN: dict[str, str] = {
    "dec.title": "Decryption",
    "msg.decrypted": "decrypted",
    "dec.status": "Status: {status}",
    "dec.status.decrypted": "decrypted",
    "dec.status.partial": "partly decrypted",
    "dec.status.no_secret": "no secret for this connection",
    "dec.status.unsupported_cipher": "cipher not supported",
    "dec.status.no_handshake": "handshake not captured",
    "dec.status.wrong_key": "wrong key",
    "dec.reason": "Why: {reason}",
    "dec.key_source": "Keys from: {source}",
    "dec.source.keylog": "key log (file, SSLKEYLOGFILE or pcapng secrets block)",
    "dec.source.rsa_key": "RSA private key (premaster decrypted from ClientKeyExchange)",
    "dec.source.resumption": "master secret of the resumed session (earlier connection)",
    "dec.records": "Protected records: {ok} decrypted, {failed} not",
    "dec.finished": "Finished verified: client {client}, server {server}",
    "dec.valid": "valid",
    "dec.invalid": "INVALID",
    "dec.unchecked": "not checked",
    "dec.app": "{direction}: {bytes} plaintext bytes",
    "dec.early": "0-RTT early data: {bytes} plaintext bytes",
    "dec.first": "first bytes: {text}",
    "dec.reason.sslv2": "SSL 2.0 connections are not decrypted",
    "dec.reason.early_only": "only 0-RTT data: the ServerHello was not captured",
    "dec.reason.no_handshake": "the handshake (ClientHello and ServerHello) was not captured, "
                               "so the client random and the cipher are unknown",
    "dec.reason.unsupported_cipher": "tlslens cannot decrypt {suite}",
    "dec.reason.wrong_key": "these keys do not belong to this connection: records or "
                            "Finished do not verify (client random {client_random})",
    "dec.reason.no_secret": "no key log line for client random {client_random} "
                            "(missing: {labels})",
    "dec.reason.nothing_encrypted": "nothing was encrypted in this connection",
    "dec.reason.some_failed": "{n} protected record(s) did not authenticate",
    "dec.reason.some_missing": "{n} protected record(s) had no key (missing: {labels})",
}

ZH: dict[str, str] = {
    "dec.title": "解密",
    "msg.decrypted": "已解密",
    "dec.status": "状态：{status}",
    "dec.status.decrypted": "已解密",
    "dec.status.partial": "部分解密",
    "dec.status.no_secret": "没有此连接的密钥",
    "dec.status.unsupported_cipher": "不支持的密码套件",
    "dec.status.no_handshake": "未捕获握手",
    "dec.status.wrong_key": "密钥错误",
    "dec.reason": "原因：{reason}",
    "dec.key_source": "密钥来源：{source}",
    "dec.source.keylog": "密钥日志（文件、SSLKEYLOGFILE 或 pcapng 解密密钥块）",
    "dec.source.rsa_key": "RSA 私钥（从 ClientKeyExchange 解出预主密钥）",
    "dec.source.resumption": "被恢复会话的主密钥（来自之前的连接）",
    "dec.records": "受保护的记录：{ok} 条已解密，{failed} 条未解密",
    "dec.finished": "Finished 校验：客户端 {client}，服务器 {server}",
    "dec.valid": "有效",
    "dec.invalid": "无效",
    "dec.unchecked": "未校验",
    "dec.app": "{direction}：{bytes} 字节明文",
    "dec.early": "0-RTT 早期数据：{bytes} 字节明文",
    "dec.first": "开头字节：{text}",
    "dec.reason.sslv2": "不解密 SSL 2.0 连接",
    "dec.reason.early_only": "只有 0-RTT 数据：未捕获 ServerHello",
    "dec.reason.no_handshake": "未捕获握手（ClientHello 和 ServerHello），因此客户端随机数和"
                               "密码套件未知",
    "dec.reason.unsupported_cipher": "tlslens 无法解密 {suite}",
    "dec.reason.wrong_key": "这些密钥不属于此连接：记录或 Finished 校验失败"
                            "（客户端随机数 {client_random}）",
    "dec.reason.no_secret": "密钥日志中没有客户端随机数 {client_random} 的条目"
                            "（缺少：{labels}）",
    "dec.reason.nothing_encrypted": "此连接中没有加密内容",
    "dec.reason.some_failed": "{n} 条受保护的记录认证失败",
    "dec.reason.some_missing": "{n} 条受保护的记录没有密钥（缺少：{labels}）",
}
