"""eSIM (GSMA SGP.22) report strings: the text section, the check rules and reasons, the
vendor evidence and the ``ci-impostor`` finding. English is the reference; Chinese has
every key (the catalogue test checks it). Role names (LPA, SM-DP+, SM-DS), protocol
names and values stay as they are in both languages.
"""

EN: dict[str, str] = {
    # the text section
    "esim.heading": "eSIM (GSMA SGP.22): {client} -> {server}",
    "esim.recognized": "Recognised as eSIM provisioning by: {signals}",
    "esim.by.sni-rule": "SNI matches a known SM-DP+/SM-DS host",
    "esim.by.ci-key": "a certificate names a CI key",
    "esim.by.ci-name": "a certificate carries a CI name",
    "esim.by.policy-oid": "an RSP role policy OID (2.23.146.1.2.1.x)",
    "esim.by.es9plus-path": "decrypted HTTP to an ES9+ path",
    "esim.by.es11-path": "decrypted HTTP to an ES11 path",
    "esim.vendor": "Operator (vendor): {name}",
    "esim.vendor.unknown": "Operator (vendor): unknown",
    "esim.vendor.label": "{name} ({detail})",
    "esim.vendor.formerly": "formerly {name}",
    "esim.list_sep": "; ",
    "esim.ev.host": "SNI {host} matches the rule {rule} ({hosts} hosts observed, "
                    "confidence {confidence})",
    "esim.ev.cert_host": "the certificate's dNSName {host} matches the rule {rule}",
    "esim.ev.oid": "SAN registeredID {oid} lies under the SM-DP+ OID arc {prefix} "
                   "(certificates there name {orgs})",
    "esim.ev.oid_other": "SAN registeredID {oid} lies under {prefix}, which points to "
                         "{vendor} instead",
    "esim.ci": "Certificate Issuer (CI): {name} (key id {key_id}; {kind})",
    "esim.ci.none": "Certificate Issuer (CI): none recognised in the chain",
    "esim.ci.kind.gsma-production": "GSMA production CI",
    "esim.ci.kind.gsma-test": "SGP.26 test CI: its private key is public",
    "esim.ci.kind.gsma-m2m": "GSMA M2M CI (SGP.02), not consumer RSP",
    "esim.ci.kind.test": "test root",
    "esim.ci.kind.regional": "regional CI",
    "esim.ci.kind.private": "vendor private root, not a GSMA-listed CI",
    "esim.ci.kind.other": "not on the GSMA list of SGP.22 CIs",
    "esim.ci.kind.known-no-key": "known key id prefix, key not available",
    "esim.ci.production": "production",
    "esim.ci.test": "test",
    "esim.match.verified": "match: VERIFIED (a signature checks with the CI's public key, "
                           "or the root is the CI's own certificate)",
    "esim.match.claimed": "match: CLAIMED only (names or key ids match; no signature could "
                          "be checked)",
    "esim.match.mismatch": "match: MISMATCH: the chain borrows this CI's name or key id, "
                           "but the key is not the CI's: an impostor",
    "esim.checks": "SGP.22 checks: {passed} pass, {failed} fail, {warned} warn, "
                   "{unobserved} not observable",
    "esim.result.pass": "PASS",
    "esim.result.fail": "FAIL",
    "esim.result.warn": "WARN",
    "esim.result.not_observable": "N/O",
    "esim.check.meta": "confidence {confidence}; sources: {sources}",
    "esim.confidence.high": "high",
    "esim.confidence.medium": "medium",
    "esim.confidence.low": "low",
    # rules, in words
    "esim.rule.tls-version": "TLS 1.2 is the ES9+/ES11 baseline (TLS 1.3 reported as "
                             "allowed since SGP.22 v2.7)",
    "esim.rule.cipher-suite": "The chosen suite is one SGP.22 names: "
                              "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or "
                              "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (TLS 1.3: "
                              "TLS_AES_128_GCM_SHA256)",
    "esim.rule.client-cipher-suites": "The LPA offers at least one SGP.22 suite",
    "esim.rule.key-exchange-group": "The key exchange uses secp256r1 (brainpoolP256r1 "
                                    "optional)",
    "esim.rule.server-signature-scheme": "The server signs with ecdsa_secp256r1_sha256 "
                                         "(brainpool: 0x081A in TLS 1.3)",
    "esim.rule.client-signature-schemes": "The LPA offers ecdsa_secp256r1_sha256",
    "esim.rule.sni": "The LPA sends the SM-DP+ FQDN as SNI (not an IP address)",
    "esim.rule.sni-certificate-match": "The certificate's SAN dNSName matches the SNI",
    "esim.rule.no-client-certificate": "Server authentication only: no client certificate "
                                       "requested",
    "esim.rule.session-resumption": "A fresh TLS session per RSP session (no resumption)",
    "esim.rule.alpn": "No ALPN, or http/1.1 (ES9+ is HTTP/1.1 JSON)",
    "esim.rule.leaf-key-usage": "CERT.DP.TLS keyUsage: critical, digitalSignature only",
    "esim.rule.leaf-extended-key-usage": "CERT.DP.TLS extendedKeyUsage: critical, with "
                                         "serverAuth (SGP.26 also sets clientAuth)",
    "esim.rule.leaf-policy": "CERT.DP.TLS certificatePolicies: the TLS role OID of the server",
    "esim.rule.leaf-subject-alt-name": "CERT.DP.TLS subjectAltName: dNSName (FQDN) and "
                                       "registeredID (SM-DP+ OID)",
    "esim.rule.leaf-crl-distribution-points": "CERT.DP.TLS has cRLDistributionPoints",
    "esim.rule.leaf-key-identifiers": "CERT.DP.TLS has subjectKeyIdentifier and "
                                      "authorityKeyIdentifier",
    "esim.rule.leaf-basic-constraints": "CERT.DP.TLS is an end entity (no CA "
                                        "basicConstraints)",
    "esim.rule.leaf-public-key": "CERT.DP.TLS key: EC P-256 or brainpoolP256r1",
    "esim.rule.chain-signature-algorithm": "Every certificate is signed with "
                                           "ecdsa-with-SHA256",
    "esim.rule.chain-same-curve": "All certificates of the chain use the same curve",
    "esim.rule.cert-validity": "Every certificate is valid at the capture time",
    "esim.rule.chain-signatures": "Each certificate's signature verifies with its issuer's "
                                  "key, up to the CI",
    "esim.rule.ci-genuine": "A CI named by the chain is the genuine CI (its key, not only "
                            "its name)",
    "esim.rule.chain-gsma-ci": "The chain leads to a GSMA CI (RSP2 Root CI1 or OISTE GSMA CI "
                               "G1)",
    # reasons
    "esim.reason.tls-version.unknown": "the negotiated version is not visible",
    "esim.reason.tls-version.tls12": "TLS 1.2 negotiated",
    "esim.reason.tls-version.tls13": "TLS 1.3 negotiated",
    "esim.reason.tls-version.old": "{version} negotiated, below the TLS 1.2 baseline",
    "esim.reason.cipher-suite.unknown": "the chosen suite is not visible (SGP.22 lists "
                                        "{allowed})",
    "esim.reason.cipher-suite.listed": "{suite} is an SGP.22 suite",
    "esim.reason.cipher-suite.outside": "{suite} is not one of SGP.22's suites ({allowed})",
    "esim.reason.client-cipher-suites.unknown": "no ClientHello seen",
    "esim.reason.client-cipher-suites.offered": "offers {suites}",
    "esim.reason.client-cipher-suites.none": "offers none of {allowed}",
    "esim.reason.key-exchange-group.unknown": "the key exchange group is not visible "
                                              "(expected {allowed})",
    "esim.reason.key-exchange-group.listed": "{group}",
    "esim.reason.key-exchange-group.outside": "{group} is outside the RSP profile "
                                              "(expected {allowed})",
    "esim.reason.server-signature-scheme.unknown": "no server signature visible (expected "
                                                   "{allowed})",
    "esim.reason.server-signature-scheme.listed": "{scheme}",
    "esim.reason.server-signature-scheme.outside": "{scheme}, not {allowed}",
    "esim.reason.client-signature-schemes.unknown": "no signature_algorithms extension seen",
    "esim.reason.client-signature-schemes.offered": "{scheme} offered",
    "esim.reason.client-signature-schemes.missing": "{scheme} not offered",
    "esim.reason.sni.unknown": "no ClientHello seen",
    "esim.reason.sni.absent": "the ClientHello carries no SNI",
    "esim.reason.sni.ip": "the SNI {sni} is an IP address",
    "esim.reason.sni.fqdn": "SNI {sni}",
    "esim.reason.sni-certificate-match.unknown": "no SNI or no server certificate to compare",
    "esim.reason.sni-certificate-match.match": "{sni} is in the certificate's dNSNames",
    "esim.reason.sni-certificate-match.nomatch": "{sni} is not among the dNSNames ({names})",
    "esim.reason.no-client-certificate.none": "no CertificateRequest, no client certificate",
    "esim.reason.no-client-certificate.requested": "the server requested a client certificate",
    "esim.reason.session-resumption.resumed": "the session was resumed",
    "esim.reason.session-resumption.fresh": "a full handshake",
    "esim.reason.alpn.http1": "ALPN {alpn}",
    "esim.reason.alpn.other": "ALPN {alpn}: unusual for ES9+ (not shown to be forbidden)",
    "esim.reason.leaf-key-usage.absent": "no keyUsage extension",
    "esim.reason.leaf-key-usage.unreadable": "keyUsage could not be decoded",
    "esim.reason.leaf-key-usage.wrong": "keyUsage is {critical} with {bits}",
    "esim.reason.leaf-key-usage.ok": "critical, digitalSignature only",
    "esim.reason.leaf-extended-key-usage.absent": "no extendedKeyUsage extension",
    "esim.reason.leaf-extended-key-usage.unreadable": "extendedKeyUsage could not be decoded",
    "esim.reason.leaf-extended-key-usage.no_server_auth": "no serverAuth among {purposes}",
    "esim.reason.leaf-extended-key-usage.not_critical": "{purposes}, but not critical",
    "esim.reason.leaf-extended-key-usage.ok": "critical: {purposes}",
    "esim.reason.leaf-policy.ok": "{oid}",
    "esim.reason.leaf-policy.other_role": "carries {oid} rather than {expected}",
    "esim.reason.leaf-policy.absent": "no RSP role policy (expected {expected})",
    "esim.reason.leaf-subject-alt-name.ok": "dNSName {dns}; registeredID {rid}",
    "esim.reason.leaf-subject-alt-name.missing": "dNSName {dns}; registeredID {rid}: both "
                                                 "are required",
    "esim.reason.leaf-crl-distribution-points.ok": "{uris}",
    "esim.reason.leaf-crl-distribution-points.absent": "no cRLDistributionPoints",
    "esim.reason.leaf-key-identifiers.ok": "both present",
    "esim.reason.leaf-key-identifiers.missing": "missing: {missing}",
    "esim.reason.leaf-basic-constraints.ca": "the certificate says it is a CA",
    "esim.reason.leaf-basic-constraints.end_entity": "not a CA",
    "esim.reason.leaf-public-key.unreadable": "the public key could not be read",
    "esim.reason.leaf-public-key.ok": "{key}",
    "esim.reason.leaf-public-key.other": "{key}",
    "esim.reason.chain-signature-algorithm.ok": "all ecdsa-with-SHA256",
    "esim.reason.chain-signature-algorithm.other": "other algorithms: {found}",
    "esim.reason.chain-same-curve.ok": "{curve}",
    "esim.reason.chain-same-curve.mixed": "mixed: {curves}",
    "esim.reason.cert-validity.unknown": "{cert}: the validity dates could not be read",
    "esim.reason.cert-validity.expired": "{cert} EXPIRED on {not_after}, before the capture "
                                         "({at})",
    "esim.reason.cert-validity.not_yet_valid": "{cert} is valid only from {not_before}, "
                                               "after the capture ({at})",
    "esim.reason.cert-validity.valid": "{cert}: valid until {not_after}",
    "esim.reason.chain-signatures.empty": "no certificate",
    "esim.reason.chain-signatures.broken": "the signature of certificate {certs} does not "
                                           "verify with its issuer's key",
    "esim.reason.chain-signatures.unchecked": "certificate {certs} could not be checked "
                                              "(issuer not sent, or an algorithm that cannot "
                                              "be verified)",
    "esim.reason.chain-signatures.ok": "signatures verified: {n}",
    "esim.reason.ci-genuine.none": "the chain names no CI tlslens knows",
    "esim.reason.ci-genuine.impostor": "the chain names {ci} (key id {key_id}) but uses "
                                       "another key (key id {own}): an impostor",
    "esim.reason.ci-genuine.verified_fingerprint": "the root sent is {ci}'s own certificate "
                                                   "(SHA-256 fingerprint)",
    "esim.reason.ci-genuine.verified_ski": "the root sent carries {ci}'s key",
    "esim.reason.ci-genuine.verified_subject_name": "the root sent carries {ci}'s key",
    "esim.reason.ci-genuine.verified_aki": "the top certificate's signature verifies with "
                                           "{ci}'s public key (root not sent)",
    "esim.reason.ci-genuine.verified_issuer_name": "the top certificate's signature verifies "
                                                   "with {ci}'s public key (root not sent)",
    "esim.reason.ci-genuine.claimed": "names {ci} (key id {key_id}), but no signature could "
                                      "be checked",
    "esim.reason.chain-gsma-ci.none": "no known eSIM CI in the chain (later SGP.22 versions "
                                      "allow a public CA for TLS)",
    "esim.reason.chain-gsma-ci.impostor": "the chain leads to a certificate posing as {ci}, "
                                          "not to the CI",
    "esim.reason.chain-gsma-ci.production": "leads to {ci}",
    "esim.reason.chain-gsma-ci.unverified": "names {ci}, not verified",
    "esim.reason.chain-gsma-ci.test": "leads to the test CI {ci}: a production LPA must not "
                                      "trust it",
    "esim.reason.chain-gsma-ci.not_gsma": "leads to {ci}, which is not a GSMA SGP.22 CI",
    "esim.reason.chain-gsma-ci.no_certificates": "no server certificate visible",
    # the finding the profile adds
    "finding.ci-impostor.title": "certificate posing as the CI {ci}",
    "finding.ci-impostor.detail": "Certificate {index} carries the name or key id of {ci} "
                                  "(key id {key_id}) but not that CI's key: whatever its "
                                  "name says, it is not the GSMA CI. An LPA that checks the "
                                  "chain against the real CI rejects it.",
}

ZH: dict[str, str] = {
    "esim.heading": "eSIM（GSMA SGP.22）：{client} -> {server}",
    "esim.recognized": "识别为 eSIM 远程配置流量，依据：{signals}",
    "esim.by.sni-rule": "SNI 与已知的 SM-DP+/SM-DS 主机匹配",
    "esim.by.ci-key": "证书指向某个 CI 的密钥标识",
    "esim.by.ci-name": "证书带有某个 CI 的名称",
    "esim.by.policy-oid": "RSP 角色策略 OID（2.23.146.1.2.1.x）",
    "esim.by.es9plus-path": "解密后的 HTTP 请求发往 ES9+ 路径",
    "esim.by.es11-path": "解密后的 HTTP 请求发往 ES11 路径",
    "esim.vendor": "运营方（厂商）：{name}",
    "esim.vendor.unknown": "运营方（厂商）：未知",
    "esim.vendor.label": "{name}（{detail}）",
    "esim.vendor.formerly": "原 {name}",
    "esim.list_sep": "；",
    "esim.ev.host": "SNI {host} 匹配规则 {rule}（已观察到 {hosts} 个主机，可信度 {confidence}）",
    "esim.ev.cert_host": "证书的 dNSName {host} 匹配规则 {rule}",
    "esim.ev.oid": "SAN registeredID {oid} 位于 SM-DP+ OID 分支 {prefix} 之下"
                   "（该分支的证书署名为 {orgs}）",
    "esim.ev.oid_other": "SAN registeredID {oid} 位于 {prefix} 之下，但该分支指向 {vendor}",
    "esim.ci": "证书签发者（CI）：{name}（密钥标识 {key_id}；{kind}）",
    "esim.ci.none": "证书签发者（CI）：链中没有可识别的 CI",
    "esim.ci.kind.gsma-production": "GSMA 正式 CI",
    "esim.ci.kind.gsma-test": "SGP.26 测试 CI：其私钥是公开的",
    "esim.ci.kind.gsma-m2m": "GSMA M2M CI（SGP.02），不用于消费类 RSP",
    "esim.ci.kind.test": "测试根证书",
    "esim.ci.kind.regional": "区域 CI",
    "esim.ci.kind.private": "厂商私有根证书，不在 GSMA 名单中",
    "esim.ci.kind.other": "不在 GSMA 的 SGP.22 CI 名单中",
    "esim.ci.kind.known-no-key": "已知的密钥标识前缀，但没有其公钥",
    "esim.ci.production": "正式",
    "esim.ci.test": "测试",
    "esim.match.verified": "匹配：已验证（签名可用该 CI 的公钥验证，或根证书正是该 CI 自己的证书）",
    "esim.match.claimed": "匹配：仅声称（名称或密钥标识相符，但无法校验任何签名）",
    "esim.match.mismatch": "匹配：不符：证书链借用了该 CI 的名称或密钥标识，但密钥并非该 CI 的：冒充者",
    "esim.checks": "SGP.22 检查：{passed} 项通过，{failed} 项失败，{warned} 项警告，"
                   "{unobserved} 项无法观察",
    "esim.result.pass": "通过",
    "esim.result.fail": "失败",
    "esim.result.warn": "警告",
    "esim.result.not_observable": "无法观察",
    "esim.check.meta": "可信度 {confidence}；来源：{sources}",
    "esim.confidence.high": "高",
    "esim.confidence.medium": "中",
    "esim.confidence.low": "低",
    "esim.rule.tls-version": "ES9+/ES11 以 TLS 1.2 为基线（据报 SGP.22 v2.7 起允许 TLS 1.3）",
    "esim.rule.cipher-suite": "所选套件是 SGP.22 列出的套件："
                              "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 或 "
                              "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256（TLS 1.3："
                              "TLS_AES_128_GCM_SHA256）",
    "esim.rule.client-cipher-suites": "LPA 至少提供一个 SGP.22 套件",
    "esim.rule.key-exchange-group": "密钥交换使用 secp256r1（brainpoolP256r1 为可选）",
    "esim.rule.server-signature-scheme": "服务器使用 ecdsa_secp256r1_sha256 签名"
                                         "（brainpool：TLS 1.3 中为 0x081A）",
    "esim.rule.client-signature-schemes": "LPA 提供 ecdsa_secp256r1_sha256",
    "esim.rule.sni": "LPA 以 SM-DP+ 的完整域名作为 SNI（而不是 IP 地址）",
    "esim.rule.sni-certificate-match": "证书的 SAN dNSName 与 SNI 相符",
    "esim.rule.no-client-certificate": "仅服务器认证：不请求客户端证书",
    "esim.rule.session-resumption": "每个 RSP 会话使用新的 TLS 会话（不恢复会话）",
    "esim.rule.alpn": "不使用 ALPN，或使用 http/1.1（ES9+ 是 HTTP/1.1 上的 JSON）",
    "esim.rule.leaf-key-usage": "CERT.DP.TLS 的 keyUsage：关键扩展，仅 digitalSignature",
    "esim.rule.leaf-extended-key-usage": "CERT.DP.TLS 的 extendedKeyUsage：关键扩展，含 "
                                         "serverAuth（SGP.26 还设置了 clientAuth）",
    "esim.rule.leaf-policy": "CERT.DP.TLS 的 certificatePolicies：服务器的 TLS 角色 OID",
    "esim.rule.leaf-subject-alt-name": "CERT.DP.TLS 的 subjectAltName：dNSName（完整域名）和 "
                                       "registeredID（SM-DP+ OID）",
    "esim.rule.leaf-crl-distribution-points": "CERT.DP.TLS 带有 cRLDistributionPoints",
    "esim.rule.leaf-key-identifiers": "CERT.DP.TLS 带有 subjectKeyIdentifier 和 "
                                      "authorityKeyIdentifier",
    "esim.rule.leaf-basic-constraints": "CERT.DP.TLS 是终端实体证书（不是 CA）",
    "esim.rule.leaf-public-key": "CERT.DP.TLS 的密钥：EC P-256 或 brainpoolP256r1",
    "esim.rule.chain-signature-algorithm": "每张证书都用 ecdsa-with-SHA256 签名",
    "esim.rule.chain-same-curve": "链中所有证书使用同一条曲线",
    "esim.rule.cert-validity": "每张证书在抓包时都处于有效期内",
    "esim.rule.chain-signatures": "每张证书的签名都能用其签发者的密钥验证，直到 CI",
    "esim.rule.ci-genuine": "证书链所指的 CI 是真正的 CI（是其密钥，而不只是其名称）",
    "esim.rule.chain-gsma-ci": "证书链通向 GSMA CI（RSP2 Root CI1 或 OISTE GSMA CI G1）",
    "esim.reason.tls-version.unknown": "看不到协商的版本",
    "esim.reason.tls-version.tls12": "协商了 TLS 1.2",
    "esim.reason.tls-version.tls13": "协商了 TLS 1.3",
    "esim.reason.tls-version.old": "协商了 {version}，低于 TLS 1.2 基线",
    "esim.reason.cipher-suite.unknown": "看不到所选套件（SGP.22 列出 {allowed}）",
    "esim.reason.cipher-suite.listed": "{suite} 是 SGP.22 套件",
    "esim.reason.cipher-suite.outside": "{suite} 不是 SGP.22 列出的套件（{allowed}）",
    "esim.reason.client-cipher-suites.unknown": "没有看到 ClientHello",
    "esim.reason.client-cipher-suites.offered": "提供了 {suites}",
    "esim.reason.client-cipher-suites.none": "没有提供 {allowed} 中的任何一个",
    "esim.reason.key-exchange-group.unknown": "看不到密钥交换组（应为 {allowed}）",
    "esim.reason.key-exchange-group.listed": "{group}",
    "esim.reason.key-exchange-group.outside": "{group} 不在 RSP 配置范围内（应为 {allowed}）",
    "esim.reason.server-signature-scheme.unknown": "看不到服务器签名（应为 {allowed}）",
    "esim.reason.server-signature-scheme.listed": "{scheme}",
    "esim.reason.server-signature-scheme.outside": "{scheme}，而不是 {allowed}",
    "esim.reason.client-signature-schemes.unknown": "没有看到 signature_algorithms 扩展",
    "esim.reason.client-signature-schemes.offered": "提供了 {scheme}",
    "esim.reason.client-signature-schemes.missing": "没有提供 {scheme}",
    "esim.reason.sni.unknown": "没有看到 ClientHello",
    "esim.reason.sni.absent": "ClientHello 不带 SNI",
    "esim.reason.sni.ip": "SNI {sni} 是 IP 地址",
    "esim.reason.sni.fqdn": "SNI {sni}",
    "esim.reason.sni-certificate-match.unknown": "没有 SNI 或没有服务器证书可供比较",
    "esim.reason.sni-certificate-match.match": "{sni} 在证书的 dNSName 中",
    "esim.reason.sni-certificate-match.nomatch": "{sni} 不在 dNSName（{names}）中",
    "esim.reason.no-client-certificate.none": "没有 CertificateRequest，也没有客户端证书",
    "esim.reason.no-client-certificate.requested": "服务器请求了客户端证书",
    "esim.reason.session-resumption.resumed": "会话是恢复的",
    "esim.reason.session-resumption.fresh": "完整握手",
    "esim.reason.alpn.http1": "ALPN {alpn}",
    "esim.reason.alpn.other": "ALPN {alpn}：对 ES9+ 来说不常见（但未见禁止）",
    "esim.reason.leaf-key-usage.absent": "没有 keyUsage 扩展",
    "esim.reason.leaf-key-usage.unreadable": "keyUsage 无法解码",
    "esim.reason.leaf-key-usage.wrong": "keyUsage 为 {critical}，取值 {bits}",
    "esim.reason.leaf-key-usage.ok": "关键扩展，仅 digitalSignature",
    "esim.reason.leaf-extended-key-usage.absent": "没有 extendedKeyUsage 扩展",
    "esim.reason.leaf-extended-key-usage.unreadable": "extendedKeyUsage 无法解码",
    "esim.reason.leaf-extended-key-usage.no_server_auth": "{purposes} 中没有 serverAuth",
    "esim.reason.leaf-extended-key-usage.not_critical": "{purposes}，但不是关键扩展",
    "esim.reason.leaf-extended-key-usage.ok": "关键扩展：{purposes}",
    "esim.reason.leaf-policy.ok": "{oid}",
    "esim.reason.leaf-policy.other_role": "带有 {oid}，而不是 {expected}",
    "esim.reason.leaf-policy.absent": "没有 RSP 角色策略（应为 {expected}）",
    "esim.reason.leaf-subject-alt-name.ok": "dNSName {dns}；registeredID {rid}",
    "esim.reason.leaf-subject-alt-name.missing": "dNSName {dns}；registeredID {rid}："
                                                 "两者都必须有",
    "esim.reason.leaf-crl-distribution-points.ok": "{uris}",
    "esim.reason.leaf-crl-distribution-points.absent": "没有 cRLDistributionPoints",
    "esim.reason.leaf-key-identifiers.ok": "两者都有",
    "esim.reason.leaf-key-identifiers.missing": "缺少：{missing}",
    "esim.reason.leaf-basic-constraints.ca": "证书声明自己是 CA",
    "esim.reason.leaf-basic-constraints.end_entity": "不是 CA",
    "esim.reason.leaf-public-key.unreadable": "无法读取公钥",
    "esim.reason.leaf-public-key.ok": "{key}",
    "esim.reason.leaf-public-key.other": "{key}",
    "esim.reason.chain-signature-algorithm.ok": "全部为 ecdsa-with-SHA256",
    "esim.reason.chain-signature-algorithm.other": "其他算法：{found}",
    "esim.reason.chain-same-curve.ok": "{curve}",
    "esim.reason.chain-same-curve.mixed": "混用：{curves}",
    "esim.reason.cert-validity.unknown": "{cert}：无法读取有效期",
    "esim.reason.cert-validity.expired": "{cert} 已于 {not_after} 过期，早于抓包时间（{at}）",
    "esim.reason.cert-validity.not_yet_valid": "{cert} 自 {not_before} 起才有效，晚于抓包时间"
                                               "（{at}）",
    "esim.reason.cert-validity.valid": "{cert}：有效期至 {not_after}",
    "esim.reason.chain-signatures.empty": "没有证书",
    "esim.reason.chain-signatures.broken": "证书 {certs} 的签名无法用其签发者的密钥验证",
    "esim.reason.chain-signatures.unchecked": "证书 {certs} 无法校验（签发者证书未发送，"
                                              "或算法无法验证）",
    "esim.reason.chain-signatures.ok": "已验证 {n} 个签名",
    "esim.reason.ci-genuine.none": "证书链没有指向 tlslens 已知的 CI",
    "esim.reason.ci-genuine.impostor": "证书链声称是 {ci}（密钥标识 {key_id}），"
                                       "实际使用的是另一把密钥（密钥标识 {own}）：冒充者",
    "esim.reason.ci-genuine.verified_fingerprint": "发送的根证书正是 {ci} 自己的证书"
                                                   "（SHA-256 指纹）",
    "esim.reason.ci-genuine.verified_ski": "发送的根证书带有 {ci} 的密钥",
    "esim.reason.ci-genuine.verified_subject_name": "发送的根证书带有 {ci} 的密钥",
    "esim.reason.ci-genuine.verified_aki": "最上层证书的签名可用 {ci} 的公钥验证（根证书未发送）",
    "esim.reason.ci-genuine.verified_issuer_name": "最上层证书的签名可用 {ci} 的公钥验证"
                                                   "（根证书未发送）",
    "esim.reason.ci-genuine.claimed": "声称是 {ci}（密钥标识 {key_id}），但无法校验任何签名",
    "esim.reason.chain-gsma-ci.none": "链中没有已知的 eSIM CI（SGP.22 后续版本允许 TLS 证书"
                                      "链到公共 CA）",
    "esim.reason.chain-gsma-ci.impostor": "证书链通向一张冒充 {ci} 的证书，而不是该 CI",
    "esim.reason.chain-gsma-ci.production": "通向 {ci}",
    "esim.reason.chain-gsma-ci.unverified": "声称是 {ci}，未经验证",
    "esim.reason.chain-gsma-ci.test": "通向测试 CI {ci}：正式 LPA 不得信任它",
    "esim.reason.chain-gsma-ci.not_gsma": "通向 {ci}，它不是 GSMA 的 SGP.22 CI",
    "esim.reason.chain-gsma-ci.no_certificates": "看不到服务器证书",
    "finding.ci-impostor.title": "冒充 CI {ci} 的证书",
    "finding.ci-impostor.detail": "证书 {index} 带有 {ci}（密钥标识 {key_id}）的名称或密钥标识，"
                                  "却没有该 CI 的密钥：无论名称怎么写，它都不是 GSMA CI。"
                                  "按真实 CI 校验证书链的 LPA 会拒绝它。",
}
