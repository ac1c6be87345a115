"""OID name tables (facts from RFC 3279, 4055, 5280, 5758, 6962, 7633, 8410, 9336, FIPS 204)."""

from __future__ import annotations

from cryptography.x509 import certificate_transparency as ct

#: signature algorithm OID -> the ASN.1 value name its RFC gives it.
SIGNATURE_ALGORITHM_NAMES: dict[str, str] = {
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.3": "md4WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSAEncryption",  # the old OIW arc, still seen on old roots
    "1.2.840.113549.1.1.10": "id-RSASSA-PSS",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.2.840.10040.4.3": "id-dsa-with-sha1",
    "2.16.840.1.101.3.4.3.1": "id-dsa-with-sha224",
    "2.16.840.1.101.3.4.3.2": "id-dsa-with-sha256",
    "2.16.840.1.101.3.4.3.3": "id-dsa-with-sha384",
    "2.16.840.1.101.3.4.3.4": "id-dsa-with-sha512",
    "2.16.840.1.101.3.4.3.10": "id-ecdsa-with-sha3-256",
    "2.16.840.1.101.3.4.3.11": "id-ecdsa-with-sha3-384",
    "2.16.840.1.101.3.4.3.12": "id-ecdsa-with-sha3-512",
    "2.16.840.1.101.3.4.3.14": "id-rsassa-pkcs1-v1_5-with-sha3-256",
    "2.16.840.1.101.3.4.3.15": "id-rsassa-pkcs1-v1_5-with-sha3-384",
    "2.16.840.1.101.3.4.3.16": "id-rsassa-pkcs1-v1_5-with-sha3-512",
    "2.16.840.1.101.3.4.3.17": "id-ml-dsa-44",
    "2.16.840.1.101.3.4.3.18": "id-ml-dsa-65",
    "2.16.840.1.101.3.4.3.19": "id-ml-dsa-87",
    "1.3.101.112": "id-Ed25519",
    "1.3.101.113": "id-Ed448",
    "1.2.156.10197.1.501": "SM2-with-SM3",
}

#: certificate extension OID -> RFC name (camelCase, as Wireshark shows them).
EXTENSION_NAMES: dict[str, str] = {
    "2.5.29.9": "subjectDirectoryAttributes",
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.16": "privateKeyUsagePeriod",
    "2.5.29.17": "subjectAltName",
    "2.5.29.18": "issuerAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.20": "cRLNumber",
    "2.5.29.21": "cRLReason",
    "2.5.29.24": "invalidityDate",
    "2.5.29.27": "deltaCRLIndicator",
    "2.5.29.28": "issuingDistributionPoint",
    "2.5.29.29": "certificateIssuer",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.33": "policyMappings",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.36": "policyConstraints",
    "2.5.29.37": "extKeyUsage",
    "2.5.29.46": "freshestCRL",
    "2.5.29.54": "inhibitAnyPolicy",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
    "1.3.6.1.5.5.7.1.3": "qcStatements",
    "1.3.6.1.5.5.7.1.11": "subjectInfoAccess",
    "1.3.6.1.5.5.7.1.24": "tlsFeature",
    "1.3.6.1.5.5.7.48.1.2": "ocspNonce",
    "1.3.6.1.5.5.7.48.1.5": "ocspNoCheck",
    "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
    "1.3.6.1.4.1.11129.2.4.3": "precertificatePoison",
    "1.3.6.1.4.1.11129.2.4.5": "signedCertificateTimestampList",  # in OCSP responses
    "1.3.6.1.4.1.311.21.7": "msCertificateTemplate",
    "1.3.6.1.4.1.311.21.10": "msApplicationCertPolicies",
    "1.3.36.8.3.3": "admissions",
    "2.16.840.1.113730.1.1": "nsCertType",
    "2.16.840.1.113730.1.13": "nsComment",
}

#: extended key usage purpose OID -> RFC name.
EKU_NAMES: dict[str, str] = {
    "2.5.29.37.0": "anyExtendedKeyUsage",
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.5": "ipsecEndSystem",
    "1.3.6.1.5.5.7.3.6": "ipsecTunnel",
    "1.3.6.1.5.5.7.3.7": "ipsecUser",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "1.3.6.1.5.5.7.3.17": "ipsecIKE",
    "1.3.6.1.5.5.7.3.21": "secureShellClient",
    "1.3.6.1.5.5.7.3.22": "secureShellServer",
    "1.3.6.1.5.5.7.3.36": "documentSigning",
    "1.3.6.1.5.2.3.4": "pkinitKPClientAuth",
    "1.3.6.1.5.2.3.5": "pkinitKPKdc",
    "1.3.6.1.4.1.311.10.3.3": "msSGC",
    "1.3.6.1.4.1.311.20.2.2": "msSmartcardLogin",
    "2.16.840.1.113730.4.1": "nsSGC",
    "1.3.6.1.4.1.11129.2.4.4": "precertificateSigning",
}

#: access method OID (AIA / SIA) -> RFC 5280 short name.
ACCESS_METHOD_NAMES: dict[str, str] = {
    "1.3.6.1.5.5.7.48.1": "OCSP",
    "1.3.6.1.5.5.7.48.2": "caIssuers",
    "1.3.6.1.5.5.7.48.3": "timeStamping",
    "1.3.6.1.5.5.7.48.5": "caRepository",
}

#: SubjectPublicKeyInfo algorithm OID -> key type, for when ``public_key()`` fails.
_SPKI_TYPES: dict[str, str] = {
    "1.2.840.113549.1.1.1": "rsa",
    "1.2.840.113549.1.1.10": "rsa",
    "1.2.840.10045.2.1": "ec",
    "1.2.840.10040.4.1": "dsa",
    "1.2.840.10046.2.1": "dh",
    "1.2.840.113549.1.3.1": "dh",
    "1.3.101.110": "x25519",
    "1.3.101.111": "x448",
    "1.3.101.112": "ed25519",
    "1.3.101.113": "ed448",
    "2.16.840.1.101.3.4.3.17": "ml-dsa-44",
    "2.16.840.1.101.3.4.3.18": "ml-dsa-65",
    "2.16.840.1.101.3.4.3.19": "ml-dsa-87",
}

_KEY_USAGE_BITS: tuple[tuple[str, str], ...] = (  # RFC 5280 4.2.1.3, bit order
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "contentCommitment"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
    ("encipher_only", "encipherOnly"),
    ("decipher_only", "decipherOnly"),
)

_SCT_ENTRY_TYPES = {ct.LogEntryType.X509_CERTIFICATE: "x509_entry",
                    ct.LogEntryType.PRE_CERTIFICATE: "precert_entry"}
