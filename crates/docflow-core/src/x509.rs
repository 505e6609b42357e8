//! X.509 certificate chain validation for signing certificates.
//!
//! A user's signing key may come with a certificate from a certification
//! authority. [`validate_chain`] checks that certificate against the trust
//! anchors an operator configured, at a given time, with the CRLs the
//! operator has, and returns what docflow needs from it: the Ed25519 key,
//! its fingerprint and the names to show.
//!
//! What is checked (RFC 5280 section 6, simplified to what docflow needs):
//!
//! * every certificate parses as DER with nothing after it, its outer and
//!   inner signature algorithms agree, no extension is duplicated or
//!   unparsable, and no critical extension is one we do not process;
//! * the path: each certificate's issuer name equals the next
//!   certificate's subject name (byte for byte) and its signature verifies
//!   with that certificate's key (RSA PKCS#1 v1.5 or PSS with SHA-2, ECDSA
//!   P-256/P-384, Ed25519; SHA-1 is refused), ending at a trust anchor;
//! * every certificate on the path, the anchor included, is valid at `at`;
//! * every issuer, the anchor included, has basicConstraints cA=true, a
//!   keyUsage (if present) with keyCertSign, and a pathLenConstraint (if
//!   present) that allows the CA certificates below it;
//! * the leaf has keyUsage with digitalSignature or nonRepudiation and an
//!   Ed25519 key (RFC 8410);
//! * no certificate below the anchor is listed in a CRL whose issuer name
//!   is its issuer's and whose signature verifies with its issuer's key.
//!   CRLs from anyone else are ignored. A listed serial is revoked whatever
//!   the revocation date and however old the CRL: refusing is the safe side.
//!
//! Pure: no file, network or clock access; the caller passes the time.

use chrono::{DateTime, Utc};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{
    OID_PKCS1_SHA1WITHRSA, OID_SHA1_WITH_RSA, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_ALT_NAME,
};
use x509_parser::prelude::FromDer as _;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::time::ASN1Time;

use crate::keys::{decode_pem_blocks, looks_like_pem, PublicKey};
use crate::ledger::format_time;

/// PEM label of a certificate.
pub const CERTIFICATE_LABEL: &str = "CERTIFICATE";
/// PEM label of a CRL.
pub const CRL_LABEL: &str = "X509 CRL";
/// Most issuers above a leaf that a path may have; real ones have 1 to 3.
pub const MAX_PATH_LEN: usize = 8;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertError {
    #[error("no path to a trusted root: {0}")]
    UntrustedRoot(String),
    #[error("certificate {subject:?} expired at {}", format_time(.not_after))]
    Expired {
        subject: String,
        not_after: DateTime<Utc>,
    },
    #[error("certificate {subject:?} is not valid before {}", format_time(.not_before))]
    NotYetValid {
        subject: String,
        not_before: DateTime<Utc>,
    },
    #[error("the certificate may not be used for signing: {0}")]
    WrongKeyUsage(String),
    #[error("certificate {subject:?} may not issue certificates here: {reason}")]
    NotACa { subject: String, reason: String },
    #[error("certificate {subject:?} (serial {serial_hex}) was revoked at {}", format_time(.revoked_at))]
    Revoked {
        subject: String,
        serial_hex: String,
        revoked_at: DateTime<Utc>,
    },
    #[error("certificate signature does not verify: {0}")]
    BadCertificateSignature(String),
    #[error("malformed certificate data: {0}")]
    Malformed(String),
    #[error("the certificate's key is not Ed25519: {0}")]
    UnsupportedKey(String),
}

impl CertError {
    /// A stable code for APIs, logs and the user interface.
    pub fn code(&self) -> &'static str {
        match self {
            CertError::UntrustedRoot(_) => "untrusted-root",
            CertError::Expired { .. } => "expired",
            CertError::NotYetValid { .. } => "not-yet-valid",
            CertError::WrongKeyUsage(_) => "wrong-key-usage",
            CertError::NotACa { .. } => "not-a-ca",
            CertError::Revoked { .. } => "revoked",
            CertError::BadCertificateSignature(_) => "bad-certificate-signature",
            CertError::Malformed(_) => "malformed",
            CertError::UnsupportedKey(_) => "unsupported-key",
        }
    }
}

/// What a validated leaf certificate tells docflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedLeaf {
    /// The leaf's SubjectPublicKeyInfo DER (44 bytes, RFC 8410).
    pub spki_der: Vec<u8>,
    /// Lower-case hex SHA-256 of `spki_der`, as [`PublicKey::fingerprint`].
    pub fingerprint: String,
    pub public_key: PublicKey,
    /// The subject as `C=UZ, O=..., CN=...` (attributes in certificate
    /// order, values in UTF-8 as written, e.g. Cyrillic).
    pub subject: String,
    /// The subject's first commonName, if it is a string.
    pub common_name: Option<String>,
    /// The issuer, written like `subject`.
    pub issuer: String,
    /// Serial number as lower-case hex without leading zero bytes.
    pub serial_hex: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Subjects of the issuers from the leaf's issuer up to the trust anchor.
    pub path: Vec<String>,
}

/// Critical extensions this module acts on (or, for extendedKeyUsage and
/// subjectAltName, may safely accept); any other critical one is refused
/// as RFC 5280 section 4.2 requires.
fn is_handled_extension(oid: &x509_parser::der_parser::oid::Oid) -> bool {
    *oid == OID_X509_EXT_BASIC_CONSTRAINTS
        || *oid == OID_X509_EXT_KEY_USAGE
        || *oid == OID_X509_EXT_EXTENDED_KEY_USAGE
        || *oid == OID_X509_EXT_SUBJECT_ALT_NAME
}

/// Parses one DER certificate and applies the structural checks.
fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, CertError> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| CertError::Malformed(format!("not an X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(CertError::Malformed("bytes after the certificate".into()));
    }
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(CertError::Malformed(
            "signatureAlgorithm differs from the signature field inside the certificate".into(),
        ));
    }
    cert.extensions_map()
        .map_err(|e| CertError::Malformed(format!("extensions: {e}")))?;
    for ext in cert.extensions() {
        if let Some(e) = ext.parsed_extension().error() {
            return Err(CertError::Malformed(format!(
                "extension {}: {e}",
                ext.oid.to_id_string()
            )));
        }
        if ext.critical && !is_handled_extension(&ext.oid) {
            return Err(CertError::Malformed(format!(
                "unsupported critical extension {}",
                ext.oid.to_id_string()
            )));
        }
    }
    Ok(cert)
}

fn parse_crl(der: &[u8]) -> Result<CertificateRevocationList<'_>, CertError> {
    let (rest, crl) = CertificateRevocationList::from_der(der)
        .map_err(|e| CertError::Malformed(format!("not an X.509 CRL: {e}")))?;
    if !rest.is_empty() {
        return Err(CertError::Malformed("bytes after the CRL".into()));
    }
    Ok(crl)
}

fn to_utc(t: ASN1Time) -> Result<DateTime<Utc>, CertError> {
    DateTime::from_timestamp(t.timestamp(), 0)
        .ok_or_else(|| CertError::Malformed("time out of range".into()))
}

fn subject_of(cert: &X509Certificate<'_>) -> String {
    cert.subject().to_string()
}

fn check_time(cert: &X509Certificate<'_>, at: DateTime<Utc>) -> Result<(), CertError> {
    let not_before = to_utc(cert.validity().not_before)?;
    let not_after = to_utc(cert.validity().not_after)?;
    if at < not_before {
        return Err(CertError::NotYetValid {
            subject: subject_of(cert),
            not_before,
        });
    }
    if at > not_after {
        return Err(CertError::Expired {
            subject: subject_of(cert),
            not_after,
        });
    }
    Ok(())
}

/// Checks that `issuer` may issue a certificate with `cas_below` CA
/// certificates between it and the leaf.
fn check_ca(issuer: &X509Certificate<'_>, cas_below: usize) -> Result<(), CertError> {
    let not_a_ca = |reason: String| CertError::NotACa {
        subject: subject_of(issuer),
        reason,
    };
    let bc = issuer
        .basic_constraints()
        .map_err(|e| CertError::Malformed(format!("basicConstraints: {e}")))?;
    match bc {
        Some(bc) if bc.value.ca => {
            if let Some(limit) = bc.value.path_len_constraint {
                // Conservative: self-issued CA certificates count too.
                if u64::try_from(cas_below).unwrap_or(u64::MAX) > u64::from(limit) {
                    return Err(not_a_ca(format!(
                        "pathLenConstraint {limit} allows {limit} CA certificates below it, the path has {cas_below}"
                    )));
                }
            }
        }
        _ => return Err(not_a_ca("basicConstraints cA is not true".into())),
    }
    let ku = issuer
        .key_usage()
        .map_err(|e| CertError::Malformed(format!("keyUsage: {e}")))?;
    if let Some(ku) = ku {
        if !ku.value.key_cert_sign() {
            return Err(not_a_ca("keyUsage lacks keyCertSign".into()));
        }
    }
    Ok(())
}

fn check_leaf_usage(leaf: &X509Certificate<'_>) -> Result<(), CertError> {
    let ku = leaf
        .key_usage()
        .map_err(|e| CertError::Malformed(format!("keyUsage: {e}")))?;
    match ku {
        Some(ku) if ku.value.digital_signature() || ku.value.non_repudiation() => Ok(()),
        Some(_) => Err(CertError::WrongKeyUsage(
            "keyUsage has neither digitalSignature nor nonRepudiation".into(),
        )),
        None => Err(CertError::WrongKeyUsage(
            "no keyUsage extension; digitalSignature or nonRepudiation is required".into(),
        )),
    }
}

/// Outcome of checking one candidate issuer's signature on a certificate.
enum SigCheck {
    Verified,
    Failed(String),
}

fn check_signature(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> SigCheck {
    let alg = &cert.signature_algorithm.algorithm;
    // SHA-1 collisions are practical; x509-parser would still accept it.
    if *alg == OID_PKCS1_SHA1WITHRSA || *alg == OID_SHA1_WITH_RSA {
        return SigCheck::Failed("SHA-1 signatures are not accepted".into());
    }
    match cert.verify_signature(Some(issuer.public_key())) {
        Ok(()) => SigCheck::Verified,
        Err(e) => SigCheck::Failed(format!(
            "{} by {:?}: {e}",
            subject_of(cert),
            subject_of(issuer)
        )),
    }
}

/// The first of `candidates` (not yet used) named as `cert`'s issuer whose
/// key verifies `cert`. A name match whose signature fails is remembered in
/// `bad_sig`, so the caller can tell a forgery from a missing issuer.
fn find_issuer(
    cert: &X509Certificate<'_>,
    candidates: &[X509Certificate<'_>],
    used: &[bool],
    bad_sig: &mut Option<String>,
) -> Option<usize> {
    for (i, candidate) in candidates.iter().enumerate() {
        if used.get(i).copied().unwrap_or(false)
            || candidate.subject().as_raw() != cert.issuer().as_raw()
        {
            continue;
        }
        match check_signature(cert, candidate) {
            SigCheck::Verified => return Some(i),
            SigCheck::Failed(reason) => *bad_sig = Some(reason),
        }
    }
    None
}

fn parse_all<'a>(what: &str, ders: &'a [Vec<u8>]) -> Result<Vec<X509Certificate<'a>>, CertError> {
    ders.iter()
        .enumerate()
        .map(|(i, der)| {
            parse_cert(der).map_err(|e| CertError::Malformed(format!("{what} {}: {e}", i + 1)))
        })
        .collect()
}

/// Refuses `cert` if a CRL signed by `issuer` lists its serial.
fn check_revocation(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    crls: &[CertificateRevocationList<'_>],
) -> Result<(), CertError> {
    // An issuer whose keyUsage excludes cRLSign cannot sign CRLs.
    if let Ok(Some(ku)) = issuer.key_usage() {
        if !ku.value.crl_sign() {
            return Ok(());
        }
    }
    for crl in crls {
        if crl.issuer().as_raw() != issuer.subject().as_raw()
            || crl.verify_signature(issuer.public_key()).is_err()
        {
            continue;
        }
        if let Some(entry) = crl
            .iter_revoked_certificates()
            .find(|r| r.user_certificate == cert.tbs_certificate.serial)
        {
            return Err(CertError::Revoked {
                subject: subject_of(cert),
                serial_hex: serial_hex(cert),
                revoked_at: to_utc(entry.revocation_date)?,
            });
        }
    }
    Ok(())
}

fn serial_hex(cert: &X509Certificate<'_>) -> String {
    hex::encode(cert.tbs_certificate.serial.to_bytes_be())
}

/// Validates `leaf_der` up to one of `anchors` at time `at`; see the module
/// documentation for every check. `intermediates` may come in any order
/// and may contain unrelated certificates. All inputs are DER.
pub fn validate_chain(
    leaf_der: &[u8],
    intermediates: &[Vec<u8>],
    anchors: &[Vec<u8>],
    crls: &[Vec<u8>],
    at: DateTime<Utc>,
) -> Result<ValidatedLeaf, CertError> {
    let leaf = parse_cert(leaf_der)?;
    let intermediates = parse_all("intermediate certificate", intermediates)?;
    let anchors = parse_all("trust anchor", anchors)?;
    let crls = crls
        .iter()
        .enumerate()
        .map(|(i, der)| {
            parse_crl(der).map_err(|e| CertError::Malformed(format!("CRL {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;

    // The leaf itself first, so the error names the user's own certificate.
    let spki_der = leaf.public_key().raw;
    let public_key =
        PublicKey::from_spki_der(spki_der).map_err(|e| CertError::UnsupportedKey(e.to_string()))?;
    check_time(&leaf, at)?;
    check_leaf_usage(&leaf)?;

    // Walk up: prefer an anchor, else an unused intermediate.
    let mut path: Vec<&X509Certificate<'_>> = Vec::new();
    let mut used = vec![false; intermediates.len()];
    let mut current = &leaf;
    loop {
        if path.len() >= MAX_PATH_LEN {
            return Err(CertError::UntrustedRoot(format!(
                "no trust anchor within {MAX_PATH_LEN} issuers"
            )));
        }
        let cas_below = path.len();
        let mut bad_sig = None;
        if let Some(i) = find_issuer(current, &anchors, &[], &mut bad_sig) {
            let anchor = &anchors[i];
            check_time(anchor, at)?;
            check_ca(anchor, cas_below)?;
            path.push(anchor);
            break;
        }
        if let Some(i) = find_issuer(current, &intermediates, &used, &mut bad_sig) {
            used[i] = true;
            let issuer = &intermediates[i];
            check_time(issuer, at)?;
            check_ca(issuer, cas_below)?;
            path.push(issuer);
            current = issuer;
            continue;
        }
        return Err(match bad_sig {
            Some(reason) => CertError::BadCertificateSignature(reason),
            None => CertError::UntrustedRoot(format!(
                "no trust anchor or intermediate certificate is the issuer {:?} of {:?}",
                current.issuer().to_string(),
                subject_of(current)
            )),
        });
    }

    // Revocation of every certificate below the anchor, by its own issuer.
    let mut below = &leaf;
    for issuer in &path {
        check_revocation(below, issuer, &crls)?;
        below = issuer;
    }

    let common_name = leaf
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(ValidatedLeaf {
        spki_der: spki_der.to_vec(),
        fingerprint: public_key.fingerprint(),
        public_key,
        subject: subject_of(&leaf),
        common_name,
        issuer: leaf.issuer().to_string(),
        serial_hex: serial_hex(&leaf),
        not_before: to_utc(leaf.validity().not_before)?,
        not_after: to_utc(leaf.validity().not_after)?,
        path: path.iter().map(|c| subject_of(c)).collect(),
    })
}

/// Every `CERTIFICATE` block of a PEM file (a bundle such as `chain.pem`),
/// as DER, each checked to parse. Other blocks are ignored; none at all is
/// an error.
pub fn pem_bundle_to_der(text: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let ders = decode_pem_blocks(text, CERTIFICATE_LABEL)
        .map_err(|e| CertError::Malformed(e.to_string()))?;
    if ders.is_empty() {
        return Err(CertError::Malformed("no CERTIFICATE block".into()));
    }
    for der in &ders {
        parse_cert(der)?;
    }
    Ok(ders)
}

/// Every `X509 CRL` block of a PEM file, as DER, each checked to parse.
pub fn pem_crls_to_der(text: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let ders =
        decode_pem_blocks(text, CRL_LABEL).map_err(|e| CertError::Malformed(e.to_string()))?;
    if ders.is_empty() {
        return Err(CertError::Malformed("no X509 CRL block".into()));
    }
    for der in &ders {
        parse_crl(der)?;
    }
    Ok(ders)
}

/// One certificate as uploaded: PEM with exactly one `CERTIFICATE` block,
/// or DER. Returns the DER after checking it parses.
pub fn parse_cert_input(bytes: &[u8]) -> Result<Vec<u8>, CertError> {
    let der = if looks_like_pem(bytes) {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CertError::Malformed("PEM text is not UTF-8".into()))?;
        let mut ders = pem_bundle_to_der(text)?;
        if ders.len() != 1 {
            return Err(CertError::Malformed(format!(
                "expected one certificate, found {}",
                ders.len()
            )));
        }
        ders.remove(0)
    } else {
        bytes.to_vec()
    };
    parse_cert(&der)?;
    Ok(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! example {
        ($path:literal) => {
            include_str!(concat!("../../../keys-example/", $path))
        };
    }

    fn der(pem: &str) -> Vec<u8> {
        parse_cert_input(pem.as_bytes()).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The time make-pki.sh checks its outputs at.
    fn now() -> DateTime<Utc> {
        at("2026-11-25T10:00:00Z")
    }

    fn root() -> Vec<Vec<u8>> {
        vec![der(example!("ca/root-ca.crt"))]
    }

    fn inter() -> Vec<Vec<u8>> {
        vec![der(example!("ca/intermediate-ca.crt"))]
    }

    fn crls() -> Vec<Vec<u8>> {
        pem_crls_to_der(example!("ca/intermediate-ca.crl.pem")).unwrap()
    }

    fn check(leaf: &str, intermediates: &[Vec<u8>]) -> Result<ValidatedLeaf, CertError> {
        validate_chain(&der(leaf), intermediates, &root(), &crls(), now())
    }

    #[test]
    fn good_chains_validate() {
        for (leaf, public, cn) in [
            (
                example!("users/alisher.crt"),
                example!("users/alisher.pub.pem"),
                "Alisher Karimov",
            ),
            (
                example!("users/dilnoza.crt"),
                example!("users/dilnoza.pub.pem"),
                "Дилноза Юсупова",
            ),
            (
                example!("users/rustam.crt"),
                example!("users/rustam.pub.pem"),
                "Rustam Oʻrinboyev",
            ),
        ] {
            let v = check(leaf, &inter()).unwrap();
            let pk = PublicKey::from_spki_pem(public).unwrap();
            assert_eq!(v.public_key, pk);
            assert_eq!(v.fingerprint, pk.fingerprint());
            assert_eq!(v.spki_der, pk.to_spki_der());
            assert_eq!(v.common_name.as_deref(), Some(cn));
            assert_eq!(
                v.subject,
                format!("C=UZ, O=Moliya vazirligi (EXAMPLE), CN={cn}")
            );
            assert_eq!(
                v.issuer,
                "C=UZ, O=Moliya vazirligi (EXAMPLE), CN=docflow Example Issuing CA 1"
            );
            assert_eq!(v.path.len(), 2);
            assert_eq!(v.serial_hex.len(), 32);
            assert_eq!(v.not_before, at("2025-06-01T00:00:00Z"));
            assert_eq!(v.not_after, at("2045-06-01T00:00:00Z"));
        }
    }

    #[test]
    fn bundle_order_and_extra_certificates_do_not_matter() {
        // chain.pem holds the intermediate and the root; the root in the
        // intermediates is harmless, and so are unrelated certificates.
        let mut bundle = pem_bundle_to_der(example!("ca/chain.pem")).unwrap();
        assert_eq!(bundle.len(), 2);
        bundle.reverse();
        bundle.push(der(example!("rogue/rogue-root-ca.crt")));
        bundle.push(der(example!("users/dilnoza.crt")));
        check(example!("users/alisher.crt"), &bundle).unwrap();
        // DER input is accepted as well as PEM.
        let leaf = der(example!("users/alisher.crt"));
        assert_eq!(parse_cert_input(&leaf).unwrap(), leaf);
    }

    #[test]
    fn ed25519_issuers_verify() {
        // The rogue root is an Ed25519 CA: trusted, its leaf validates.
        let v = validate_chain(
            &der(example!("rogue/rogue-leaf.crt")),
            &[],
            &[der(example!("rogue/rogue-root-ca.crt"))],
            &[],
            now(),
        )
        .unwrap();
        assert_eq!(v.path, vec!["C=UZ, O=Rogue (EXAMPLE), CN=Rogue Root CA"]);
    }

    #[test]
    fn rogue_leaf_is_untrusted() {
        for intermediates in [
            vec![],
            inter(),
            vec![der(example!("rogue/rogue-root-ca.crt"))],
        ] {
            let e = check(example!("rogue/rogue-leaf.crt"), &intermediates).unwrap_err();
            assert_eq!(e.code(), "untrusted-root", "{e}");
        }
        // Without its intermediate a good leaf has no path either.
        let e = check(example!("users/alisher.crt"), &[]).unwrap_err();
        assert_eq!(e.code(), "untrusted-root");
    }

    #[test]
    fn expired_and_not_yet_valid() {
        let e = check(example!("bad/expired.crt"), &inter()).unwrap_err();
        assert_eq!(e.code(), "expired", "{e}");
        assert!(
            matches!(e, CertError::Expired { not_after, .. } if not_after == at("2021-01-01T00:00:00Z"))
        );
        let e = validate_chain(
            &der(example!("users/alisher.crt")),
            &inter(),
            &root(),
            &[],
            at("2025-05-31T23:59:59Z"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "not-yet-valid", "{e}");
        // Just inside both ends of the window.
        for t in ["2025-06-01T00:00:00Z", "2045-06-01T00:00:00Z"] {
            validate_chain(
                &der(example!("users/alisher.crt")),
                &inter(),
                &root(),
                &[],
                at(t),
            )
            .unwrap();
        }
        let e = validate_chain(
            &der(example!("users/alisher.crt")),
            &inter(),
            &root(),
            &[],
            at("2045-06-01T00:00:00.000001Z"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "expired");
    }

    #[test]
    fn leaf_without_signing_usage_is_refused() {
        let e = check(example!("bad/no-signing-usage.crt"), &inter()).unwrap_err();
        assert_eq!(e.code(), "wrong-key-usage", "{e}");
    }

    #[test]
    fn revoked_leaf_is_refused_only_with_the_crl() {
        let e = check(example!("bad/revoked.crt"), &inter()).unwrap_err();
        assert_eq!(e.code(), "revoked", "{e}");
        let v = validate_chain(
            &der(example!("bad/revoked.crt")),
            &inter(),
            &root(),
            &[],
            now(),
        );
        assert!(v.is_ok());
        // A CRL whose signature does not verify is ignored, as is one from
        // an issuer not on the path.
        let mut forged = crls();
        let last = forged[0].len() - 1;
        forged[0][last] ^= 1;
        validate_chain(
            &der(example!("bad/revoked.crt")),
            &inter(),
            &root(),
            &forged,
            now(),
        )
        .unwrap();
        validate_chain(
            &der(example!("rogue/rogue-leaf.crt")),
            &[],
            &[der(example!("rogue/rogue-root-ca.crt"))],
            &crls(),
            now(),
        )
        .unwrap();
    }

    #[test]
    fn flipped_signature_byte_is_refused() {
        let mut leaf = der(example!("users/alisher.crt"));
        let last = leaf.len() - 1;
        leaf[last] ^= 0x01;
        let e = validate_chain(&leaf, &inter(), &root(), &[], now()).unwrap_err();
        assert_eq!(e.code(), "bad-certificate-signature", "{e}");
        // A flipped byte in a name or key makes a different certificate
        // whose signature no longer verifies either.
        let mut inter_bad = inter();
        let i = inter_bad[0].len() - 1;
        inter_bad[0][i] ^= 0x01;
        let e = check(example!("users/alisher.crt"), &inter_bad).unwrap_err();
        assert_eq!(e.code(), "bad-certificate-signature", "{e}");
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in [
            &b""[..],
            b"garbage",
            b"\x30\x03\x02\x01\x00",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let e = validate_chain(bad, &inter(), &root(), &[], now()).unwrap_err();
            assert_eq!(e.code(), "malformed", "{e}");
            assert_eq!(parse_cert_input(bad).unwrap_err().code(), "malformed");
        }
        let mut trailing = der(example!("users/alisher.crt"));
        trailing.push(0);
        assert_eq!(
            validate_chain(&trailing, &inter(), &root(), &[], now())
                .unwrap_err()
                .code(),
            "malformed"
        );
        assert_eq!(pem_bundle_to_der("no pem").unwrap_err().code(), "malformed");
        assert_eq!(
            pem_crls_to_der(example!("ca/root-ca.crt"))
                .unwrap_err()
                .code(),
            "malformed"
        );
        assert_eq!(
            parse_cert_input(example!("ca/chain.pem").as_bytes())
                .unwrap_err()
                .code(),
            "malformed"
        );
        let e = validate_chain(
            &der(example!("users/alisher.crt")),
            &[b"junk".to_vec()],
            &root(),
            &[],
            now(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "malformed");
    }

    #[test]
    fn leaf_used_as_issuer_is_not_a_ca() {
        let mut intermediates = inter();
        intermediates.push(der(example!("users/alisher.crt")));
        let e = check(example!("bad/issued-by-leaf.crt"), &intermediates).unwrap_err();
        assert_eq!(e.code(), "not-a-ca", "{e}");
        // Also when the leaf is configured as a trust anchor.
        let e = validate_chain(
            &der(example!("bad/issued-by-leaf.crt")),
            &[],
            &[der(example!("users/alisher.crt"))],
            &[],
            now(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "not-a-ca", "{e}");
    }

    #[test]
    fn path_length_constraint_is_enforced() {
        let mut intermediates = inter();
        intermediates.push(der(example!("bad/sub-ca.crt")));
        let e = check(example!("bad/under-sub-ca.crt"), &intermediates).unwrap_err();
        assert_eq!(e.code(), "not-a-ca", "{e}");
        assert!(e.to_string().contains("pathLenConstraint 0"), "{e}");
    }

    #[test]
    fn non_ed25519_leaf_is_unsupported() {
        // The intermediate has an ECDSA P-256 key.
        let e = validate_chain(&inter()[0], &[], &root(), &[], now()).unwrap_err();
        assert_eq!(e.code(), "unsupported-key", "{e}");
    }

    #[test]
    fn codes_are_stable() {
        let t = now();
        let all = [
            (CertError::UntrustedRoot(String::new()), "untrusted-root"),
            (
                CertError::Expired {
                    subject: String::new(),
                    not_after: t,
                },
                "expired",
            ),
            (
                CertError::NotYetValid {
                    subject: String::new(),
                    not_before: t,
                },
                "not-yet-valid",
            ),
            (CertError::WrongKeyUsage(String::new()), "wrong-key-usage"),
            (
                CertError::NotACa {
                    subject: String::new(),
                    reason: String::new(),
                },
                "not-a-ca",
            ),
            (
                CertError::Revoked {
                    subject: String::new(),
                    serial_hex: String::new(),
                    revoked_at: t,
                },
                "revoked",
            ),
            (
                CertError::BadCertificateSignature(String::new()),
                "bad-certificate-signature",
            ),
            (CertError::Malformed(String::new()), "malformed"),
            (CertError::UnsupportedKey(String::new()), "unsupported-key"),
        ];
        for (e, code) in all {
            assert_eq!(e.code(), code);
        }
    }
}
