//! Client mode: log in with a local key file and sign versions. The private
//! key is read here and never sent anywhere: only statements' signatures
//! leave this machine.

use std::path::Path;

use anyhow::{bail, Context};
use docflow::core::keys::PrivateKey;
use serde_json::{json, Value};

pub struct Client {
    base: String,
    http: reqwest::blocking::Client,
    token: Option<String>,
}

/// Reads a PKCS#8 PEM private key file (as `docflow keygen` or
/// `openssl genpkey -algorithm ed25519` write it).
pub fn read_private_key(path: &Path) -> anyhow::Result<PrivateKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    PrivateKey::from_pkcs8_pem(&text).with_context(|| format!("{}", path.display()))
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> anyhow::Result<Client> {
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--server must be an http:// or https:// URL");
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Client { base, http, token })
    }

    fn check(resp: reqwest::blocking::Response) -> anyhow::Result<reqwest::blocking::Response> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().unwrap_or_default();
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        bail!("the server answered {status}: {message}")
    }

    fn auth(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> anyhow::Result<reqwest::blocking::RequestBuilder> {
        match &self.token {
            Some(t) => Ok(req.bearer_auth(t)),
            None => {
                bail!("this needs --token (or DOCFLOW_TOKEN); get one with `docflow client login`")
            }
        }
    }

    /// Logs in by signing the server's login statement; returns the token answer.
    pub fn login(&self, login: &str, key: &PrivateKey) -> anyhow::Result<Value> {
        let key_id = key.public_key().fingerprint();
        let challenge: Value = Self::check(
            self.http
                .post(format!("{}/api/v1/auth/challenge", self.base))
                .json(&json!({"login": login, "key_id": key_id}))
                .send()?,
        )?
        .json()?;
        let statement = challenge["statement"]
            .as_str()
            .context("the challenge has no statement")?;
        let expected = format!("login: {login}\nkey: {key_id}\n");
        if !statement.starts_with("docflow-statement/1\npurpose: login\n")
            || !statement.contains(&expected)
        {
            bail!("the server sent a statement that is not a login by this key:\n{statement}");
        }
        let signature = key.sign(statement.as_bytes()).to_base64();
        Ok(Self::check(
            self.http
                .post(format!("{}/api/v1/auth/token", self.base))
                .json(&json!({"statement": statement, "signature": signature}))
                .send()?,
        )?
        .json()?)
    }

    /// Fetches the statement for a version, shows it was what we asked for,
    /// signs it locally and submits the signature.
    pub fn sign(
        &self,
        document: &str,
        version: u32,
        purpose: &str,
        key: &PrivateKey,
    ) -> anyhow::Result<Value> {
        let key_id = key.public_key().fingerprint();
        let statement = Self::check(
            self.auth(self.http.get(format!(
                "{}/api/v1/documents/{document}/versions/{version}/statement",
                self.base
            )))?
            .query(&[("purpose", purpose), ("key_id", key_id.as_str())])
            .send()?,
        )?
        .text()?;
        // Sign only what we meant to sign.
        let parsed = docflow::core::statement::DocumentStatement::parse(&statement)
            .context("the server sent a malformed statement")?;
        let f = parsed.fields();
        if f.document != document
            || f.version != u64::from(version)
            || f.purpose.as_str() != purpose
            || hex::encode(f.key) != key_id
        {
            bail!("the server sent a statement for something else:\n{statement}");
        }
        let signature = key.sign(statement.as_bytes()).to_base64();
        Ok(Self::check(
            self.auth(self.http.post(format!(
                "{}/api/v1/documents/{document}/versions/{version}/signatures",
                self.base
            )))?
            .json(&json!({"key_id": key_id, "statement": statement, "signature": signature}))
            .send()?,
        )?
        .json()?)
    }

    /// Decides a route step: fetches the decision statement, checks it names
    /// this route, step, decision and comment, signs it here and sends it.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        route: &str,
        stage: usize,
        step: usize,
        decision: &str,
        comment: Option<&str>,
        on_behalf_of: Option<&str>,
        key: &PrivateKey,
    ) -> anyhow::Result<Value> {
        use sha2::Digest;
        let key_id = key.public_key().fingerprint();
        let comment_sha = hex::encode(sha2::Sha256::digest(comment.unwrap_or("").as_bytes()));
        let mut query = vec![
            ("decision", decision.to_owned()),
            ("key_id", key_id.clone()),
            ("comment_sha256", comment_sha.clone()),
        ];
        if let Some(p) = on_behalf_of {
            query.push(("on_behalf_of", p.to_owned()));
        }
        let statement = Self::check(
            self.auth(self.http.get(format!(
                "{}/api/v1/routes/{route}/steps/{stage}/{step}/statement",
                self.base
            )))?
            .query(&query)
            .send()?,
        )?
        .text()?;
        let parsed = docflow::core::statement::DocumentStatement::parse(&statement)
            .context("the server sent a malformed statement")?;
        let f = parsed.fields();
        let expect = |k: &str, v: &str| f.extra.iter().any(|(a, b)| a == k && b == v);
        if hex::encode(f.key) != key_id
            || !expect("route", route)
            || !expect("step", &format!("{stage}.{step}"))
            || !expect("decision", decision)
            || !expect("comment-sha256", &comment_sha)
        {
            bail!("the server sent a statement for something else:\n{statement}");
        }
        let signature = key.sign(statement.as_bytes()).to_base64();
        Ok(Self::check(
            self.auth(self.http.post(format!(
                "{}/api/v1/routes/{route}/steps/{stage}/{step}/decision",
                self.base
            )))?
            .json(&json!({
                "decision": decision,
                "comment": comment,
                "on_behalf_of": on_behalf_of,
                "key_id": key_id,
                "statement": statement,
                "signature": signature,
            }))
            .send()?,
        )?
        .json()?)
    }

    /// A signed action on a resolution: asks for the statement, checks it
    /// names this resolution and action, signs it here and sends it.
    pub fn resolution_action(
        &self,
        resolution: &str,
        mut body: Value,
        key: &PrivateKey,
    ) -> anyhow::Result<Value> {
        let key_id = key.public_key().fingerprint();
        body["key_id"] = json!(key_id);
        let action = body["action"].as_str().unwrap_or_default().to_owned();
        let statement = Self::check(
            self.auth(self.http.post(format!(
                "{}/api/v1/resolutions/{resolution}/statement",
                self.base
            )))?
            .json(&body)
            .send()?,
        )?
        .text()?;
        let parsed = docflow::core::statement::DocumentStatement::parse(&statement)
            .context("the server sent a malformed statement")?;
        let f = parsed.fields();
        let has = |k: &str, v: &str| f.extra.iter().any(|(a, b)| a == k && b == v);
        if hex::encode(f.key) != key_id || !has("resolution", resolution) || !has("action", &action)
        {
            bail!("the server sent a statement for something else:\n{statement}");
        }
        body["statement"] = json!(statement);
        body["signature"] = json!(key.sign(statement.as_bytes()).to_base64());
        Ok(Self::check(
            self.auth(self.http.post(format!(
                "{}/api/v1/resolutions/{resolution}/actions",
                self.base
            )))?
            .json(&body)
            .send()?,
        )?
        .json()?)
    }

    pub fn signatures(&self, document: &str, version: u32) -> anyhow::Result<Value> {
        Ok(Self::check(
            self.auth(self.http.get(format!(
                "{}/api/v1/documents/{document}/versions/{version}/signatures",
                self.base
            )))?
            .send()?,
        )?
        .json()?)
    }
}
