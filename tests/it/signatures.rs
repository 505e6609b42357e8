//! Keys, statements, signatures and login by key, with keys and signatures
//! made by the openssl CLI as well as by docflow.

use std::path::Path;
use std::process::Command;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use docflow::core::keys::PrivateKey;
use docflow::core::receipt::Receipt;
use docflow::domain::Role;
use serde_json::{json, Value};

use crate::harness::{assert_error, example, log_signer, pdf, Backend, TestApp};

both_backends!(
    raw_key_signature_round_trip_with_openssl,
    certificate_chain_made_with_openssl_is_accepted,
    bad_certificates_are_refused_by_reason,
    refused_signatures_record_nothing,
    revoked_key_signs_nothing_after_its_revocation,
    login_by_key,
    client_cli_logs_in_and_signs
);

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn openssl(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fingerprint(pub_pem: &Path) -> String {
    docflow::core::keys::PublicKey::from_spki_pem(&read(pub_pem))
        .unwrap()
        .fingerprint()
}

/// A document (version 1 and 2) and a user with the registered key.
struct Setup {
    app: TestApp,
    token: String,
    doc: String,
}

fn setup(backend: Backend, login: &str, key: Value) -> Option<Setup> {
    let app = TestApp::start(backend)?;
    let registrar = app.user("MINFIN", "registrar", &[Role::Registrar]);
    let token = app.user("MINFIN", login, &[Role::Approver]);
    let created: Value = app
        .upload(
            &registrar,
            r#"{"title":"Buyruq","kind":"order"}"#,
            Some(("o.pdf", "application/pdf", pdf("order-v1.pdf"))),
        )
        .json()
        .unwrap();
    let doc = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.add_version(&registrar, &doc, None, "o2.pdf", pdf("order-v2.pdf"))
            .status(),
        201
    );
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/users/{login}/keys")))
        .bearer_auth(&registrar)
        .json(&key)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
    Some(Setup { app, token, doc })
}

fn statement(s: &Setup, version: u32, purpose: &str, key_id: &str) -> String {
    let resp = s.app.get(
        &s.token,
        &format!(
            "/api/v1/documents/{}/versions/{version}/statement?purpose={purpose}&key_id={key_id}",
            s.doc
        ),
    );
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    resp.text().unwrap()
}

fn submit(
    s: &Setup,
    version: u32,
    key_id: &str,
    statement: &str,
    signature: &str,
) -> reqwest::blocking::Response {
    s.app
        .http
        .post(s.app.url(&format!(
            "/api/v1/documents/{}/versions/{version}/signatures",
            s.doc
        )))
        .bearer_auth(&s.token)
        .json(&json!({"key_id": key_id, "statement": statement, "signature": signature}))
        .send()
        .unwrap()
}

/// Signs with `openssl pkeyutl -sign -rawin`.
fn openssl_sign(key: &Path, message: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("statement.txt");
    std::fs::write(&msg, message).unwrap();
    let sig = dir.path().join("sig");
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        key.to_str().unwrap(),
        "-rawin",
        "-in",
        msg.to_str().unwrap(),
        "-out",
        sig.to_str().unwrap(),
    ]);
    STANDARD.encode(std::fs::read(sig).unwrap())
}

fn raw_key_signature_round_trip_with_openssl(backend: Backend) {
    let public = example("raw/keypair-1.pub.pem");
    let Some(s) = setup(backend, "a.karimov", json!({"public_key": read(&public)})) else {
        return;
    };
    let key_id = fingerprint(&public);
    // The fingerprint is the SHA-256 of the SPKI DER, as openssl computes it.
    let der = openssl(&[
        "pkey",
        "-pubin",
        "-in",
        public.to_str().unwrap(),
        "-outform",
        "DER",
    ])
    .stdout;
    assert_eq!(key_id, docflow::core::ledger::sha256_hex(&der));

    // docflow's own signing code signs; openssl verifies.
    let text = statement(&s, 1, "approve", &key_id);
    assert!(
        text.starts_with("docflow-statement/1\npurpose: approve\n"),
        "{text}"
    );
    let private = PrivateKey::from_pkcs8_pem(&read(&example("raw/keypair-1.pem"))).unwrap();
    let signature = private.sign(text.as_bytes());
    let resp = submit(&s, 1, &key_id, &text, &signature.to_base64());
    assert_eq!(resp.status(), 201);
    let signed: Value = resp.json().unwrap();
    assert_eq!(signed["signer"], "a.karimov");
    assert_eq!(signed["purpose"], "approve");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.txt"), &text).unwrap();
    std::fs::write(dir.path().join("s.sig"), signature.as_bytes()).unwrap();
    let verify = Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            public.to_str().unwrap(),
            "-rawin",
        ])
        .args([
            "-in",
            dir.path().join("s.txt").to_str().unwrap(),
            "-sigfile",
            dir.path().join("s.sig").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // The receipt proves, offline, that the signature was recorded.
    let receipt = Receipt::parse(signed["receipt"].as_str().unwrap()).unwrap();
    let verified = receipt
        .verify(&log_signer().verifier(), Some("docflow.test/log"))
        .unwrap();
    assert_eq!(verified.entry.kind, "signature.added");
    assert_eq!(verified.entry.data["statement"], text.as_str());
    assert_eq!(
        verified.entry.seq as i64,
        signed["ledger_seq"].as_i64().unwrap()
    );

    // openssl signs a fresh statement for version 2.
    let text2 = statement(&s, 2, "sign", &key_id);
    let resp = submit(
        &s,
        2,
        &key_id,
        &text2,
        &openssl_sign(&example("raw/keypair-1.pem"), &text2),
    );
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());

    let list: Value = s
        .app
        .get(
            &s.token,
            &format!("/api/v1/documents/{}/versions/1/signatures", s.doc),
        )
        .json()
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["key_id"], key_id.as_str());
    assert_eq!(list[0]["ledger_seq"], signed["ledger_seq"]);
}

fn certificate_chain_made_with_openssl_is_accepted(backend: Backend) {
    let key = json!({
        "certificate": read(&example("users/alisher.crt")),
        "chain": read(&example("ca/intermediate-ca.crt")),
    });
    let Some(s) = setup(backend, "alisher", key) else {
        return;
    };
    let key_id = fingerprint(&example("users/alisher.pub.pem"));
    let keys: Value = s
        .app
        .get(&s.token, "/api/v1/users/alisher/keys")
        .json()
        .unwrap();
    assert_eq!(keys[0]["form"], "x509");
    assert_eq!(keys[0]["id"], key_id.as_str());
    let text = statement(&s, 1, "approve", &key_id);
    let resp = submit(
        &s,
        1,
        &key_id,
        &text,
        &openssl_sign(&example("users/alisher.key"), &text),
    );
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
}

fn bad_certificates_are_refused_by_reason(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let registrar = app.user("MINFIN", "registrar", &[Role::Registrar]);
    app.user("MINFIN", "someone", &[Role::Approver]);
    let before = app.db.snapshot();
    let chain = read(&example("ca/intermediate-ca.crt"));
    for (cert, chain, reason) in [
        (
            "rogue/rogue-leaf.crt",
            read(&example("rogue/rogue-root-ca.crt")),
            "untrusted-root",
        ),
        ("bad/expired.crt", chain.clone(), "expired"),
        ("bad/no-signing-usage.crt", chain.clone(), "wrong-key-usage"),
        ("bad/revoked.crt", chain.clone(), "revoked"),
    ] {
        let resp = app
            .http
            .post(app.url("/api/v1/users/someone/keys"))
            .bearer_auth(&registrar)
            .json(&json!({"certificate": read(&example(cert)), "chain": chain}))
            .send()
            .unwrap();
        let body = assert_error(resp, 422, "unprocessable");
        assert!(
            body["message"].as_str().unwrap().contains(reason),
            "{cert}: {body}"
        );
    }
    assert_eq!(app.db.snapshot(), before);
}

fn refused_signatures_record_nothing(backend: Backend) {
    let public = example("raw/keypair-1.pub.pem");
    let Some(s) = setup(backend, "a.karimov", json!({"public_key": read(&public)})) else {
        return;
    };
    let key_id = fingerprint(&public);
    let private = PrivateKey::from_pkcs8_pem(&read(&example("raw/keypair-1.pem"))).unwrap();
    let sign = |t: &str| private.sign(t.as_bytes()).to_base64();
    // Someone else's key, registered for another user.
    let other_public = example("raw/keypair-2.pub.pem");
    let registrar = s.app.user("MINFIN", "registrar2", &[Role::Registrar]);
    s.app.user("MINFIN", "d.yusupova", &[Role::Approver]);
    let resp = s
        .app
        .http
        .post(s.app.url("/api/v1/users/d.yusupova/keys"))
        .bearer_auth(&registrar)
        .json(&json!({"public_key": read(&other_public)}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let other_key = fingerprint(&other_public);

    let before = s.app.db.snapshot();
    let v1 = statement(&s, 1, "approve", &key_id);
    // A statement for version 1 submitted for version 2.
    assert_error(
        submit(&s, 2, &key_id, &v1, &sign(&v1)),
        422,
        "unprocessable",
    );
    // Edited to say another version, purpose or document: not what was issued.
    let edited_version = v1.replace("version: 1\n", "version: 2\n");
    assert_error(
        submit(&s, 2, &key_id, &edited_version, &sign(&edited_version)),
        422,
        "unprocessable",
    );
    let edited_purpose = v1.replace("purpose: approve\n", "purpose: sign\n");
    assert_error(
        submit(&s, 1, &key_id, &edited_purpose, &sign(&edited_purpose)),
        422,
        "unprocessable",
    );
    // Malformed signatures.
    assert_error(
        submit(&s, 1, &key_id, &v1, "not base64!"),
        400,
        "bad_request",
    );
    assert_error(
        submit(&s, 1, &key_id, &v1, &STANDARD.encode([0u8; 63])),
        400,
        "bad_request",
    );
    assert_error(
        submit(&s, 1, &key_id, &v1, &STANDARD.encode([0u8; 64])),
        422,
        "unprocessable",
    );
    // Signed by another key than the one named.
    let other_private = PrivateKey::from_pkcs8_pem(&read(&example("raw/keypair-2.pem"))).unwrap();
    assert_error(
        submit(
            &s,
            1,
            &key_id,
            &v1,
            &other_private.sign(v1.as_bytes()).to_base64(),
        ),
        422,
        "unprocessable",
    );
    // A key that is not the caller's.
    assert_error(
        s.app.get(
            &s.token,
            &format!(
                "/api/v1/documents/{}/versions/1/statement?purpose=approve&key_id={other_key}",
                s.doc
            ),
        ),
        403,
        "forbidden",
    );
    // Garbage statement, and a login statement offered as a document signature.
    assert_error(
        submit(&s, 1, &key_id, "hello\n", &sign("hello\n")),
        422,
        "unprocessable",
    );
    let login: Value = s
        .app
        .http
        .post(s.app.url("/api/v1/auth/challenge"))
        .json(&json!({"login": "a.karimov"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let login_text = login["statement"].as_str().unwrap();
    assert_error(
        submit(&s, 1, &key_id, login_text, &sign(login_text)),
        422,
        "unprocessable",
    );
    // ...and a document statement offered for login.
    let resp = s
        .app
        .http
        .post(s.app.url("/api/v1/auth/token"))
        .json(&json!({"statement": v1, "signature": sign(&v1)}))
        .send()
        .unwrap();
    assert_error(resp, 422, "unprocessable");
    assert_eq!(
        s.app.db.snapshot(),
        before,
        "no refusal left a row or a ledger entry"
    );

    // The genuine one still works once, and only once.
    assert_eq!(submit(&s, 1, &key_id, &v1, &sign(&v1)).status(), 201);
    let after_one = s.app.db.snapshot();
    assert_error(submit(&s, 1, &key_id, &v1, &sign(&v1)), 409, "conflict");
    // An expired statement.
    let late = statement(&s, 1, "sign", &key_id);
    s.app
        .db
        .exec("UPDATE challenges SET expires_at = '2000-01-01 00:00:00' WHERE used_at IS NULL")
        .unwrap();
    assert_error(
        submit(&s, 1, &key_id, &late, &sign(&late)),
        422,
        "unprocessable",
    );
    assert_eq!(s.app.db.snapshot(), after_one);
}

fn revoked_key_signs_nothing_after_its_revocation(backend: Backend) {
    let public = example("raw/keypair-2.pub.pem");
    let Some(s) = setup(backend, "r.tursunov", json!({"public_key": read(&public)})) else {
        return;
    };
    let key_id = fingerprint(&public);
    let private = PrivateKey::from_pkcs8_pem(&read(&example("raw/keypair-2.pem"))).unwrap();
    let early = statement(&s, 1, "approve", &key_id);
    let resp = submit(
        &s,
        1,
        &key_id,
        &early,
        &private.sign(early.as_bytes()).to_base64(),
    );
    assert_eq!(resp.status(), 201);
    let pending = statement(&s, 2, "approve", &key_id);
    // The registrar revokes the key through the CLI.
    let out = s.app.db.cli(&[
        "admin",
        "key",
        "revoke",
        "--id",
        &key_id,
        "--reason",
        "kalit yo'qolgan",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = s.app.db.snapshot();
    assert_error(
        submit(
            &s,
            2,
            &key_id,
            &pending,
            &private.sign(pending.as_bytes()).to_base64(),
        ),
        422,
        "unprocessable",
    );
    assert_eq!(s.app.db.snapshot(), before);
    // The signature made before the revocation is still listed.
    let list: Value = s
        .app
        .get(
            &s.token,
            &format!("/api/v1/documents/{}/versions/1/signatures", s.doc),
        )
        .json()
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let keys: Value = s
        .app
        .get(&s.token, "/api/v1/users/r.tursunov/keys")
        .json()
        .unwrap();
    assert_eq!(keys[0]["revocation_reason"], "kalit yo'qolgan");
    // The revocation is a ledger entry.
    let out = s.app.db.cli(&["audit"]);
    assert!(out.status.success());
}

fn login_by_key(backend: Backend) {
    let public = example("raw/keypair-1.pub.pem");
    let Some(s) = setup(backend, "a.karimov", json!({"public_key": read(&public)})) else {
        return;
    };
    let challenge = |login: &str| -> reqwest::blocking::Response {
        s.app
            .http
            .post(s.app.url("/api/v1/auth/challenge"))
            .json(&json!({"login": login}))
            .send()
            .unwrap()
    };
    let token_for = |statement: &str, signature: &str| -> reqwest::blocking::Response {
        s.app
            .http
            .post(s.app.url("/api/v1/auth/token"))
            .json(&json!({"statement": statement, "signature": signature}))
            .send()
            .unwrap()
    };
    let c: Value = challenge("a.karimov").json().unwrap();
    let text = c["statement"].as_str().unwrap().to_owned();
    assert!(
        text.starts_with("docflow-statement/1\npurpose: login\n"),
        "{text}"
    );
    // A wrong signature is refused and does not use the challenge up.
    assert_error(
        token_for(&text, &STANDARD.encode([7u8; 64])),
        401,
        "unauthorized",
    );
    let signature = openssl_sign(&example("raw/keypair-1.pem"), &text);
    let resp = token_for(&text, &signature);
    assert_eq!(resp.status(), 200);
    let token: Value = resp.json().unwrap();
    let bearer = token["token"].as_str().unwrap();
    let me: Value = s.app.get(bearer, "/api/v1/me").json().unwrap();
    assert_eq!(me["login"], "a.karimov");
    // A replay is refused.
    assert_error(token_for(&text, &signature), 409, "conflict");
    // A user without a key, and nobody at all, get a statement like anyone
    // (which logins exist is no one's business), refused only at the token
    // as a bad signature is.
    for login in ["registrar", "nobody"] {
        let resp = challenge(login);
        assert_eq!(resp.status(), 200);
        let c: Value = resp.json().unwrap();
        let text = c["statement"].as_str().unwrap().to_owned();
        assert!(text.contains(&format!("login: {login}\n")), "{text}");
        let body = assert_error(
            token_for(&text, &openssl_sign(&example("raw/keypair-1.pem"), &text)),
            401,
            "unauthorized",
        );
        assert_eq!(body["message"], "the login signature does not verify");
    }
}

fn client_cli_logs_in_and_signs(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("alisher");
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["keygen", "--out", name.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = dir.path().join("alisher.pem");
    let public = dir.path().join("alisher.pub.pem");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // openssl reads what docflow wrote.
    openssl(&["pkey", "-in", private.to_str().unwrap(), "-noout"]);
    let Some(s) = setup(backend, "alisher", json!({"public_key": read(&public)})) else {
        return;
    };
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(["client", "--server", &s.app.base])
            .args(args)
            .env_remove("DOCFLOW_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let token = run(&[
        "login",
        "--login",
        "alisher",
        "--key",
        private.to_str().unwrap(),
    ]);
    let token = token.trim();
    assert!(token.starts_with("dft_"));
    let version = "1";
    let signed = run(&[
        "--token",
        token,
        "--json",
        "sign",
        "--document",
        &s.doc,
        "--version",
        version,
        "--purpose",
        "approve",
        "--key",
        private.to_str().unwrap(),
    ]);
    let signed: Value = serde_json::from_str(&signed).unwrap();
    assert_eq!(signed["signer"], "alisher");
    let listed = run(&[
        "--token",
        token,
        "signatures",
        "--document",
        &s.doc,
        "--version",
        version,
    ]);
    assert!(listed.contains("approve\talisher"), "{listed}");
}
