"""Findings and verdict strings (English and Chinese), and how their params are rendered.

Each finding id has ``finding.<id>.title`` and ``finding.<id>.detail``; params come from
the rule (analysis/findings.py). A :class:`~tlslens.analysis.model.Term` param is itself a
key here (a role, a duration, a cause), rendered in the same language, so a Chinese
report never shows an English fragment. Protocol names and values (TLS 1.2,
TLS_ECDHE_..., certificate names, dates) stay as they are in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tlslens.analysis.model import Term

EN: dict[str, str] = {
    # -- findings ------------------------------------------------------------------------
    "finding.legacy-protocol.title": "legacy protocol {version}",
    "finding.legacy-protocol.detail": "{version} was negotiated: {why}",
    "finding.weak-cipher.title": "weak cipher suite {suite}",
    "finding.weak-cipher.detail": "the server chose {suite}: {reasons}",
    "finding.no-forward-secrecy.title": "no forward secrecy",
    "finding.no-forward-secrecy.detail": "{suite} uses static {kx} key exchange: whoever "
                                         "later obtains the server's private key can "
                                         "decrypt this recorded traffic",
    "finding.cbc-mode.title": "CBC mode without encrypt_then_mac",
    "finding.cbc-mode.detail": "{suite} encrypts in CBC mode with MAC-then-encrypt (no "
                               "encrypt_then_mac, RFC 7366): the construction behind "
                               "padding-oracle attacks such as Lucky13; AEAD suites avoid it",
    "finding.sha1-signature.title": "SHA-1 signature",
    "finding.sha1-signature.detail": "{what} is signed with {algorithm}; SHA-1 collisions "
                                     "are practical (SHAttered, 2017), so such signatures "
                                     "no longer prove much (RFC 9155)",
    "finding.md5-signature.title": "MD5 signature",
    "finding.md5-signature.detail": "{what} is signed with {algorithm}; MD5 collisions "
                                    "have been used to forge certificates (2008)",
    "finding.weak-key.title": "weak key: {type} {bits} bits",
    "finding.weak-key.detail": "{what}: a {type} key of {bits} bits, below the {min} bits "
                               "considered safe today",
    "finding.cert-expired.title": "certificate {i} ({name}) had expired",
    "finding.cert-expired.detail": "the {role} {subject} expired on {date}, {ago} before "
                                   "the capture ({capture}); a client that validates the "
                                   "chain must reject it",
    "finding.cert-not-yet-valid.title": "certificate {i} ({name}) was not yet valid",
    "finding.cert-not-yet-valid.detail": "the {role} {subject} is valid only from {date}, "
                                         "{wait} after the capture ({capture}); a client "
                                         "that validates the chain must reject it",
    "finding.hostname-mismatch.title": "the certificate does not name {sni}",
    "finding.hostname-mismatch.detail": "the client asked for {sni} (SNI) but the leaf "
                                        "certificate is for {names} (RFC 6125 matching, "
                                        "wildcards included)",
    "finding.chain-broken.title": "broken certificate chain at certificate {i}",
    "finding.chain-broken.detail": "certificate {i} ({name}) is not issued by certificate "
                                   "{next}, the next one sent, nor by any other one sent: "
                                   "{why}",
    "finding.chain-order.title": "certificates sent out of order",
    "finding.chain-order.detail": "certificate {i} is issued by certificate {issuer}, not "
                                  "by the one that follows it; RFC 5246 wants each "
                                  "certificate followed by its issuer (TLS 1.3 tolerates it)",
    "finding.self-signed-leaf.title": "self-signed server certificate",
    "finding.self-signed-leaf.detail": "the server's own certificate ({name}) is signed by "
                                       "its own key: no authority vouches for it, so a "
                                       "client can trust it only if it was pinned "
                                       "beforehand",
    "finding.ske-signature-invalid.title": "ServerKeyExchange signature does not verify",
    "finding.ske-signature-invalid.detail": "the signature over the key exchange "
                                            "parameters does not verify with the key of "
                                            "{name}: the parameters were altered or not "
                                            "sent by the certificate's owner",
    "finding.no-extended-master-secret.title": "no extended master secret",
    "finding.no-extended-master-secret.detail": "{who}; without it (RFC 7627) the master "
                                                "secret is not bound to the handshake, "
                                                "which the triple-handshake attack exploits",
    "finding.no-secure-renegotiation.title": "no secure renegotiation",
    "finding.no-secure-renegotiation.detail": "the server did not answer with "
                                              "renegotiation_info (RFC 5746): it may be open "
                                              "to the 2009 renegotiation prefix attack",
    "finding.tls-compression.title": "TLS compression ({method})",
    "finding.tls-compression.detail": "the server chose compression method {method}: "
                                      "compressing secrets with attacker-chosen data leaks "
                                      "them through the length (CRIME)",
    "finding.heartbeat-enabled.title": "heartbeat extension enabled",
    "finding.heartbeat-enabled.detail": "the server accepted the heartbeat extension "
                                        "(RFC 6520), the code path of Heartbleed "
                                        "(CVE-2014-0160); it is rarely needed over TCP",
    "finding.fallback-scsv.title": "the client fell back to a lower version",
    "finding.fallback-scsv.detail": "the ClientHello ({version}) carries "
                                    "TLS_FALLBACK_SCSV (RFC 7507): the client is retrying "
                                    "after a failed attempt with a higher version; a server "
                                    "that supports more must refuse (inappropriate_fallback)",
    "finding.downgrade-sentinel.title": "downgrade sentinel: {what}",
    "finding.downgrade-sentinel.detail": "the server random ends with the RFC 8446 "
                                         "downgrade sentinel for {what}: {why}",
    "finding.hello-retry.title": "HelloRetryRequest: the server asked for {group}",
    "finding.hello-retry.detail": "the client sent key shares for {offered}; the server "
                                  "wants {group}, so the client had to send a second "
                                  "ClientHello (one extra round trip)",
    "finding.weak-offer.title": "the client offers broken cipher suites",
    "finding.weak-offer.detail": "{n} of the {total} suites the client would accept are "
                                 "broken ({suites}); a server that prefers them, or an "
                                 "attacker who can force them, gets a weak connection",
    "finding.grease.title": "GREASE values",
    "finding.grease.detail": "the client puts reserved GREASE values (RFC 8701) in "
                             "{where}: harmless random values that keep servers tolerant "
                             "of unknown ones; a mark of browsers and modern stacks",
    "finding.random-not-time.title": "the random holds no clock",
    "finding.random-not-time.detail": "the first 4 bytes of the {sides} random, read as "
                                      "gmt_unix_time, give {read}, far from the capture "
                                      "({capture}): they are random bytes, as modern "
                                      "stacks send; no clock can be read from them",
    "finding.session-new.title": "new session",
    "finding.session-new.detail": "a full handshake: {how}",
    "finding.session-resumed.title": "resumed session",
    "finding.session-resumed.detail": "an abbreviated handshake: {how}",
    "finding.handshake-failed.title": "the handshake failed",
    "finding.handshake-failed.detail": "the {who} sent the fatal alert {alert} (frame "
                                       "{frame}); likely cause: {cause}",
    # -- params ---------------------------------------------------------------------------
    "why.ssl": "SSL is broken (POODLE; RFC 6176, RFC 7568) and must not be used",
    "why.tls10": "TLS 1.0 and 1.1 are deprecated (RFC 8996): weak MD5/SHA-1 handshake "
                 "hashes, no AEAD; use TLS 1.2 or 1.3",
    "weak.null": "no encryption at all (NULL cipher)",
    "weak.export": "an export-grade suite (40/56-bit keys, FREAK and Logjam)",
    "weak.anon": "anonymous key exchange: the server is not authenticated, so a "
                 "man-in-the-middle is trivial",
    "weak.rc4": "RC4, whose keystream biases leak plaintext (RFC 7465 forbids it)",
    "weak.des": "single DES, a 56-bit key broken by brute force",
    "weak.old_cipher": "an obsolete cipher (RC2 or IDEA)",
    "weak.3des": "3DES, a 64-bit block cipher open to Sweet32 on long connections",
    "weak.md5_mac": "an HMAC-MD5 record MAC",
    "what.cert": "certificate {i} ({name})",
    "what.ske": "the ServerKeyExchange",
    "what.ske_dh": "the ServerKeyExchange's DH group",
    "what.ske_rsa": "the ServerKeyExchange's temporary RSA key (export)",
    "role.leaf": "server certificate",
    "role.intermediate": "intermediate certificate",
    "role.root": "root certificate",
    "dur.years": "{y} years {m} months",
    "dur.months": "{m} months {d} days",
    "dur.days": "{d} days",
    "dur.hours": "{h} hours",
    "chain.bad_signature": "its signature does not verify with the next certificate's key",
    "chain.bad_name": "its issuer name is not the next certificate's subject",
    "chain.bad_key_id": "its authority key identifier is not the next certificate's "
                        "subject key identifier",
    "who.server_declined": "the client offered extended_master_secret but the server did "
                           "not accept it",
    "who.neither": "neither side used extended_master_secret",
    "downgrade.attack": "the client offered TLS 1.3, so this is a downgrade: a compliant "
                        "client must abort (a middlebox or an attacker removed TLS 1.3)",
    "downgrade.client_max": "the server supports a higher version than the client "
                            "offered; a normal sign of an older client",
    "side.client": "client",
    "side.server": "server",
    "side.unknown": "peer",
    "session.ticket": "the server issued {n} session ticket(s) for later resumption",
    "session.id": "the server created session ID ({n} bytes) that it may cache for later "
                  "resumption; {offered}",
    "session.offered_none": "the client offered none, so this is not a resumption",
    "session.offered_other": "the client offered another one, which the server did not "
                             "resume",
    "resumed.psk": "TLS 1.3 accepted a pre-shared key (a ticket from an earlier "
                   "connection)",
    "resumed.id": "the server echoed the client's session ID: the earlier session's "
                  "keys are reused",
    "resumed.ticket": "the server accepted the client's session ticket (no certificate "
                      "was sent)",
    "cause.0": "the peer closed the connection before the handshake finished",
    "cause.10": "a message came out of the protocol's order: a bug or an incompatible "
                "implementation",
    "cause.20": "a record failed its integrity check: wrong keys, corruption or tampering",
    "cause.21": "a record could not be decrypted",
    "cause.22": "a record was longer than allowed",
    "cause.30": "decompression failed",
    "cause.40": "no acceptable parameters: usually no cipher suite, group or signature "
                "algorithm in common",
    "cause.41": "the client has no certificate to send (SSL 3.0)",
    "cause.42": "a certificate was corrupt or its signature did not verify",
    "cause.43": "a certificate of an unsupported type",
    "cause.44": "a certificate was revoked by its issuer",
    "cause.45": "a certificate had expired or was not yet valid by the peer's clock",
    "cause.46": "a certificate was rejected for another reason (often an untrusted chain "
                "or a name mismatch)",
    "cause.47": "a field held an out-of-range or inconsistent value",
    "cause.48": "the chain does not lead to a certificate authority the peer trusts",
    "cause.49": "the peer refused access",
    "cause.50": "a message could not be decoded",
    "cause.51": "a signature or the Finished check failed",
    "cause.60": "an export restriction",
    "cause.70": "no protocol version in common",
    "cause.71": "the offered suites are weaker than the peer requires",
    "cause.80": "an internal error in the peer, unrelated to the other side",
    "cause.86": "the client fell back to a lower version although the server supports a "
                "higher one (RFC 7507)",
    "cause.90": "the user cancelled the handshake",
    "cause.100": "the peer refuses renegotiation",
    "cause.109": "a mandatory extension was missing",
    "cause.110": "an extension the peer did not offer was sent",
    "cause.111": "a certificate could not be fetched from its URL",
    "cause.112": "the server does not serve the requested host name (SNI)",
    "cause.113": "an invalid OCSP status response",
    "cause.114": "a certificate hash did not match",
    "cause.115": "the server does not know the PSK identity",
    "cause.116": "the server requires a client certificate and none was sent",
    "cause.120": "no application protocol (ALPN) in common",
    "cause.other": "an alert tlslens has no explanation for",
    "cause.reset": "the connection was reset (TCP RST) before the handshake completed",
    "cause.encrypted": "the alert was encrypted, so its reason cannot be read without keys",
    "sep.list": ", ",
    "sep.parts": "; ",
    # -- verdict --------------------------------------------------------------------------
    "verdict.failed": "the handshake failed",
    "verdict.not_judged": "not judged: the capture does not show what the server chose",
    "verdict.negotiated": "{version} with {suite}",
    "verdict.suite_strong": "a strong suite: forward secrecy and authenticated encryption "
                            "(AEAD)",
    "verdict.suite_fs_no_aead": "forward secrecy, but no authenticated encryption (AEAD)",
    "verdict.suite_aead_no_fs": "authenticated encryption (AEAD), but no forward secrecy",
    "verdict.suite_neither": "neither forward secrecy nor authenticated encryption",
    "verdict.but": "but",
    "verdict.incomplete": "the handshake was not seen to completion",
    "level.good": "good",
    "level.acceptable": "acceptable",
    "level.weak": "weak",
    "level.insecure": "insecure",
    "level.failed": "failed",
    "severity.info": "info",
    "severity.low": "low",
    "severity.medium": "medium",
    "severity.high": "high",
    "severity.critical": "critical",
    "findings.none": "none",
}

ZH: dict[str, str] = {
    "finding.legacy-protocol.title": "过时的协议 {version}",
    "finding.legacy-protocol.detail": "协商出的版本是 {version}：{why}",
    "finding.weak-cipher.title": "弱密码套件 {suite}",
    "finding.weak-cipher.detail": "服务器选择了 {suite}：{reasons}",
    "finding.no-forward-secrecy.title": "没有前向保密",
    "finding.no-forward-secrecy.detail": "{suite} 使用静态 {kx} 密钥交换：日后任何人拿到"
                                         "服务器私钥，都能解密这段被录下的流量",
    "finding.cbc-mode.title": "CBC 模式且未启用 encrypt_then_mac",
    "finding.cbc-mode.detail": "{suite} 以 CBC 模式加密，先 MAC 后加密（未协商 "
                               "encrypt_then_mac，RFC 7366）：这正是 Lucky13 等填充预言攻击"
                               "所利用的结构；AEAD 套件没有这个问题",
    "finding.sha1-signature.title": "SHA-1 签名",
    "finding.sha1-signature.detail": "{what} 使用 {algorithm} 签名；SHA-1 碰撞已可实际构造"
                                     "（SHAttered，2017 年），这类签名已证明不了多少"
                                     "（RFC 9155）",
    "finding.md5-signature.title": "MD5 签名",
    "finding.md5-signature.detail": "{what} 使用 {algorithm} 签名；MD5 碰撞早在 2008 年就"
                                    "被用来伪造证书",
    "finding.weak-key.title": "弱密钥：{type} {bits} 位",
    "finding.weak-key.detail": "{what}：{type} 密钥只有 {bits} 位，低于如今公认安全的 "
                               "{min} 位",
    "finding.cert-expired.title": "证书 {i}（{name}）已过期",
    "finding.cert-expired.detail": "{role} {subject} 已于 {date} 过期，比抓包时间"
                                   "（{capture}）早 {ago}；校验证书链的客户端必须拒绝它",
    "finding.cert-not-yet-valid.title": "证书 {i}（{name}）尚未生效",
    "finding.cert-not-yet-valid.detail": "{role} {subject} 自 {date} 起才生效，比抓包时间"
                                         "（{capture}）晚 {wait}；校验证书链的客户端必须"
                                         "拒绝它",
    "finding.hostname-mismatch.title": "证书不包含 {sni}",
    "finding.hostname-mismatch.detail": "客户端请求的是 {sni}（SNI），但服务器证书只适用于 "
                                        "{names}（按 RFC 6125 匹配，含通配符）",
    "finding.chain-broken.title": "证书链在证书 {i} 处断开",
    "finding.chain-broken.detail": "证书 {i}（{name}）既不是由其后的证书 {next} 签发，也不"
                                   "是由发送的任何其他证书签发：{why}",
    "finding.chain-order.title": "证书发送顺序错误",
    "finding.chain-order.detail": "证书 {i} 由证书 {issuer} 签发，而不是紧随其后的那张；"
                                  "RFC 5246 要求每张证书后面紧跟其签发者（TLS 1.3 容许乱序）",
    "finding.self-signed-leaf.title": "自签名的服务器证书",
    "finding.self-signed-leaf.detail": "服务器自己的证书（{name}）由其自身密钥签名：没有任何"
                                       "机构为它担保，客户端只有事先固定（pin）了它才能信任",
    "finding.ske-signature-invalid.title": "ServerKeyExchange 签名验证失败",
    "finding.ske-signature-invalid.detail": "密钥交换参数上的签名无法用 {name} 的公钥验证："
                                            "参数被篡改，或并非证书持有者发送",
    "finding.no-extended-master-secret.title": "未使用扩展主密钥",
    "finding.no-extended-master-secret.detail": "{who}；没有它（RFC 7627），主密钥不与握手"
                                                "绑定，三次握手攻击正是利用这一点",
    "finding.no-secure-renegotiation.title": "不支持安全重协商",
    "finding.no-secure-renegotiation.detail": "服务器没有回应 renegotiation_info"
                                              "（RFC 5746）：可能受 2009 年重协商前缀注入攻击",
    "finding.tls-compression.title": "TLS 压缩（{method}）",
    "finding.tls-compression.detail": "服务器选择了压缩方法 {method}：把秘密和攻击者可控的"
                                      "数据一起压缩，会通过长度泄露秘密（CRIME）",
    "finding.heartbeat-enabled.title": "启用了心跳扩展",
    "finding.heartbeat-enabled.detail": "服务器接受了心跳扩展（RFC 6520），即心脏出血漏洞"
                                        "（CVE-2014-0160）所在的代码路径；基于 TCP 时几乎"
                                        "用不到",
    "finding.fallback-scsv.title": "客户端回退到了较低版本",
    "finding.fallback-scsv.detail": "ClientHello（{version}）带有 TLS_FALLBACK_SCSV"
                                    "（RFC 7507）：客户端在更高版本的尝试失败后重试；支持更高"
                                    "版本的服务器必须拒绝（inappropriate_fallback）",
    "finding.downgrade-sentinel.title": "降级哨兵：{what}",
    "finding.downgrade-sentinel.detail": "服务器随机数以 RFC 8446 规定的 {what} 降级哨兵"
                                         "结尾：{why}",
    "finding.hello-retry.title": "HelloRetryRequest：服务器要求使用 {group}",
    "finding.hello-retry.detail": "客户端发送了 {offered} 的密钥共享；服务器要的是 {group}，"
                                  "于是客户端只好再发一次 ClientHello（多一个往返）",
    "finding.weak-offer.title": "客户端提供了已被攻破的密码套件",
    "finding.weak-offer.detail": "客户端可接受的 {total} 个套件中有 {n} 个已被攻破"
                                 "（{suites}）；偏好它们的服务器，或能强迫使用它们的攻击者，"
                                 "会得到一条弱连接",
    "finding.grease.title": "GREASE 值",
    "finding.grease.detail": "客户端在 {where} 中放入了保留的 GREASE 值（RFC 8701）：这些"
                             "无害的随机值让服务器保持对未知值的容忍；浏览器和现代协议栈的"
                             "特征",
    "finding.random-not-time.title": "随机数里没有时钟",
    "finding.random-not-time.detail": "把{sides}随机数的前 4 个字节当作 gmt_unix_time 读，"
                                      "得到 {read}，与抓包时间（{capture}）相去甚远：它们是"
                                      "随机字节，现代协议栈都这样发送，从中读不出时钟",
    "finding.session-new.title": "新会话",
    "finding.session-new.detail": "完整握手：{how}",
    "finding.session-resumed.title": "恢复的会话",
    "finding.session-resumed.detail": "简化握手：{how}",
    "finding.handshake-failed.title": "握手失败",
    "finding.handshake-failed.detail": "{who}发送了致命告警 {alert}（第 {frame} 帧）；"
                                       "可能原因：{cause}",
    "why.ssl": "SSL 已被攻破（POODLE；RFC 6176、RFC 7568），不得使用",
    "why.tls10": "TLS 1.0 和 1.1 已被废弃（RFC 8996）：握手使用较弱的 MD5/SHA-1 散列，"
                 "没有 AEAD；应使用 TLS 1.2 或 1.3",
    "weak.null": "完全不加密（NULL 密码）",
    "weak.export": "出口级套件（40/56 位密钥，FREAK 与 Logjam 攻击）",
    "weak.anon": "匿名密钥交换：服务器未经认证，中间人攻击轻而易举",
    "weak.rc4": "RC4，其密钥流偏差会泄露明文（RFC 7465 禁用）",
    "weak.des": "单 DES，56 位密钥可被暴力破解",
    "weak.old_cipher": "过时的密码（RC2 或 IDEA）",
    "weak.3des": "3DES，64 位分组密码，长连接上易受 Sweet32 攻击",
    "weak.md5_mac": "使用 HMAC-MD5 作为记录 MAC",
    "what.cert": "证书 {i}（{name}）",
    "what.ske": "ServerKeyExchange",
    "what.ske_dh": "ServerKeyExchange 的 DH 群",
    "what.ske_rsa": "ServerKeyExchange 的临时 RSA 密钥（出口级）",
    "role.leaf": "服务器证书",
    "role.intermediate": "中间证书",
    "role.root": "根证书",
    "dur.years": "{y} 年 {m} 个月",
    "dur.months": "{m} 个月 {d} 天",
    "dur.days": "{d} 天",
    "dur.hours": "{h} 小时",
    "chain.bad_signature": "其签名无法用下一张证书的公钥验证",
    "chain.bad_name": "其签发者名称不是下一张证书的主体名称",
    "chain.bad_key_id": "其授权密钥标识符与下一张证书的主体密钥标识符不符",
    "who.server_declined": "客户端提供了 extended_master_secret，但服务器没有接受",
    "who.neither": "双方都没有使用 extended_master_secret",
    "downgrade.attack": "客户端提供了 TLS 1.3，所以这是一次降级：合规的客户端必须中止"
                        "（某个中间设备或攻击者去掉了 TLS 1.3）",
    "downgrade.client_max": "服务器支持的版本高于客户端提供的版本；这通常只说明客户端较旧",
    "side.client": "客户端",
    "side.server": "服务器",
    "side.unknown": "对端",
    "session.ticket": "服务器签发了 {n} 张会话票据，供以后恢复会话",
    "session.id": "服务器创建了会话 ID（{n} 字节），可能缓存起来供以后恢复；{offered}",
    "session.offered_none": "客户端没有提供会话 ID，所以这不是会话恢复",
    "session.offered_other": "客户端提供了另一个会话 ID，服务器没有恢复它",
    "resumed.psk": "TLS 1.3 接受了预共享密钥（来自先前连接的票据）",
    "resumed.id": "服务器回显了客户端的会话 ID：沿用先前会话的密钥",
    "resumed.ticket": "服务器接受了客户端的会话票据（没有发送证书）",
    "cause.0": "对端在握手完成前关闭了连接",
    "cause.10": "收到的消息不符合协议顺序：实现有缺陷或互不兼容",
    "cause.20": "记录未通过完整性校验：密钥错误、数据损坏或遭到篡改",
    "cause.21": "记录无法解密",
    "cause.22": "记录超过了允许的长度",
    "cause.30": "解压失败",
    "cause.40": "没有可接受的参数：通常是没有共同的密码套件、群或签名算法",
    "cause.41": "客户端没有可发送的证书（SSL 3.0）",
    "cause.42": "证书已损坏或其签名验证失败",
    "cause.43": "证书类型不受支持",
    "cause.44": "证书已被签发者吊销",
    "cause.45": "按对端的时钟，证书已过期或尚未生效",
    "cause.46": "证书因其他原因被拒绝（常见的是证书链不受信任或名称不符）",
    "cause.47": "某个字段的值超出范围或前后矛盾",
    "cause.48": "证书链没有通向对端信任的证书颁发机构",
    "cause.49": "对端拒绝访问",
    "cause.50": "消息无法解码",
    "cause.51": "签名或 Finished 校验失败",
    "cause.60": "出口限制",
    "cause.70": "没有共同的协议版本",
    "cause.71": "提供的套件弱于对端的要求",
    "cause.80": "对端内部错误，与另一方无关",
    "cause.86": "服务器支持更高版本，客户端却回退到了较低版本（RFC 7507）",
    "cause.90": "用户取消了握手",
    "cause.100": "对端拒绝重协商",
    "cause.109": "缺少必需的扩展",
    "cause.110": "发送了对端未提供的扩展",
    "cause.111": "无法从证书 URL 获取证书",
    "cause.112": "服务器不服务于所请求的主机名（SNI）",
    "cause.113": "OCSP 状态响应无效",
    "cause.114": "证书散列值不匹配",
    "cause.115": "服务器不认识该 PSK 身份",
    "cause.116": "服务器要求客户端证书，但客户端没有发送",
    "cause.120": "没有共同的应用层协议（ALPN）",
    "cause.other": "tlslens 无法解释的告警",
    "cause.reset": "握手完成前连接被重置（TCP RST）",
    "cause.encrypted": "告警是加密的，没有密钥就读不出原因",
    "sep.list": "、",
    "sep.parts": "；",
    "verdict.failed": "握手失败",
    "verdict.not_judged": "未评判：抓包中看不到服务器的选择",
    "verdict.negotiated": "{version}，{suite}",
    "verdict.suite_strong": "强套件：具备前向保密和认证加密（AEAD）",
    "verdict.suite_fs_no_aead": "有前向保密，但没有认证加密（AEAD）",
    "verdict.suite_aead_no_fs": "有认证加密（AEAD），但没有前向保密",
    "verdict.suite_neither": "既没有前向保密，也没有认证加密",
    "verdict.but": "但是",
    "verdict.incomplete": "没有看到握手完成",
    "level.good": "良好",
    "level.acceptable": "可接受",
    "level.weak": "弱",
    "level.insecure": "不安全",
    "level.failed": "失败",
    "severity.info": "信息",
    "severity.low": "低",
    "severity.medium": "中",
    "severity.high": "高",
    "severity.critical": "严重",
    "findings.none": "无",
}


def render_value(value: Any, t: Any) -> str:
    """A param in the report language: Terms are translated, tuples become lists."""
    if isinstance(value, (Term, tuple)):
        # remembered: the same terms and lists come back in connection after connection
        # (the sides of random-not-time, a session's kind) while the finding around them
        # holds a value of its own (a date) and is rendered anew
        return _rendered(value, t, _render_compound)  # type: ignore[no-any-return]
    return "-" if value is None else str(value)


def _render_compound(value: Any, t: Any) -> str:
    if isinstance(value, Term):
        return t(value.key, **{k: render_value(v, t) for k, v in value.params})
    return t("sep.list").join(render_value(v, t) for v in value)  # type: ignore[no-any-return]


def render_key(key: str, params: Any, t: Any) -> str:
    """The catalogue entry ``key`` filled with ``params`` in ``t``'s language. A template
    without fields is the text itself: its params are not rendered for nothing."""
    template = t.catalogue.get(key)
    if template is not None and "{" not in template and "}" not in template:
        return template  # type: ignore[no-any-return]
    return t(key, **{k: render_value(v, t) for k, v in params})


#: Rendered texts by (catalogue, language, finding or verdict). The same findings and
#: verdicts come back connection after connection, and rendering one fills a dozen
#: templates. Each entry keeps its catalogue, so a hit is for that very catalogue; the
#: findings and verdicts are frozen, and equal ones render alike (rules give each param
#: one type). Bounded; cleared when full.
_RENDERED: dict[tuple[int, str, Any], tuple[dict[str, str], Any]] = {}
_RENDERED_MAX = 4096


def _rendered(what: Any, t: Any, render: Callable[[Any, Any], Any]) -> Any:
    """``render(what, t)``, remembered per catalogue (computed each time when a param
    cannot be hashed)."""
    cat = t.catalogue
    key = (id(cat), t.lang, what)
    try:
        hit = _RENDERED.get(key)
    except TypeError:
        return render(what, t)
    if hit is not None and hit[0] is cat:
        return hit[1]
    value = render(what, t)
    if len(_RENDERED) >= _RENDERED_MAX:
        _RENDERED.clear()
    _RENDERED[key] = (cat, value)
    return value


def finding_text(f: Any, t: Any) -> tuple[str, str]:
    """(title, detail) of a finding in ``t``'s language; the stored English words when
    the catalogue has no entry for the id (a finding made by another profile)."""
    if f.id in _NEVER_ALIKE:
        return _finding_text(f, t)
    return _rendered(f, t, _finding_text)  # type: ignore[no-any-return]


#: Findings whose params differ in (nearly) every connection, so that remembering their
#: texts would only cost a hash and a miss each, and push the findings that do recur out
#: of the bounded memory: random-not-time names the day read from the hello's random.
_NEVER_ALIKE = frozenset({"random-not-time"})


def _finding_text(f: Any, t: Any) -> tuple[str, str]:
    key = f"finding.{f.id}.title"
    if key not in t.catalogue:
        return f.title or f.id, f.detail
    return render_key(key, f.params, t), render_key(f"finding.{f.id}.detail", f.params, t)


def verdict_summary(v: Any, t: Any) -> str:
    """The verdict's one line in ``t``'s language ("but" joins without a separator)."""
    return _rendered(v, t, _verdict_summary)  # type: ignore[no-any-return]


def _verdict_summary(v: Any, t: Any) -> str:
    if not v.parts:
        return str(v.summary)
    out = ""
    for key, params in v.parts:
        if key not in t.catalogue:
            continue
        text = render_key(key, params, t)
        if not out:
            out = text
        elif out.endswith(t("verdict.but")):
            out += " " + text if t.lang == "en" else text
        else:
            out += t("sep.parts") + text
    return out or str(v.summary)
