//! What the extractors find in configuration, besides references ([`super::refs::SecretRef`]):
//! secrets *declared* with their lifecycle attributes, stores with their protection settings,
//! grants of access, and certificates. The checks read only these values.

use super::refs::SecretRef;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where something is written: path relative to the root, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

/// A secret declared in configuration: a Terraform / ARM / Bicep secret resource, a
/// Kubernetes `Secret`, an entry of a secrets manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretDecl {
    /// `terraform`, `arm`, `bicep`, `manifest`, `vault-config`, `kubernetes`, …
    pub format: &'static str,
    #[serde(flatten)]
    pub place: Place,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `secret` or `certificate`.
    pub kind: &'static str,
    /// Expiry as written: an ISO date or date-time (`2027-01-31`, `2027-01-31T00:00:00Z`), or
    /// a Unix timestamp (ARM `exp`). Unparsable values are reported, not guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Rotation period in days, when declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_days: Option<u32>,
    /// Consumers allowed to read it (manifests).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<String>,
    /// Declared in an inventory (keyguard's secrets manifest, a .vault-config manifest): the
    /// inventory checks (undeclared / orphaned) compare references with these.
    pub inventory: bool,
    /// The lifecycle attributes this format can carry (`expiry`, `owner`, `rotation`,
    /// `content-type`): a missing one is only reported where it could have been written.
    #[serde(skip)]
    pub supports: &'static [&'static str],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl SecretDecl {
    pub fn new(format: &'static str, place: Place, name: String) -> SecretDecl {
        SecretDecl {
            format,
            place,
            store: None,
            name,
            environment: None,
            kind: "secret",
            expires: None,
            not_before: None,
            content_type: None,
            owner: None,
            rotation_days: None,
            consumers: Vec::new(),
            inventory: false,
            supports: &[],
            tags: BTreeMap::new(),
        }
    }
}

/// A secret store declared in configuration: an Azure Key Vault, a Vault server address, a
/// SecretStore's provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreDecl {
    pub format: &'static str,
    #[serde(flatten)]
    pub place: Place,
    /// `azure-key-vault`, `vault`, `aws-secrets-manager`, `gcp-secret-manager`, …
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Purge protection, where the store has it (`None`: not applicable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_protection: Option<bool>,
    /// Soft-delete retention in days (`Some(0)`: soft delete disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_delete_days: Option<u32>,
    /// The address secrets are fetched from, when the configuration names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl StoreDecl {
    pub fn new(format: &'static str, place: Place, kind: &'static str, name: String) -> StoreDecl {
        StoreDecl {
            format,
            place,
            kind,
            name,
            environment: None,
            purge_protection: None,
            soft_delete_days: None,
            endpoint: None,
        }
    }
}

/// Access granted to a consumer: an IAM statement, a Vault policy path, a Key Vault access
/// policy, an ExternalSecret `dataFrom.find`, a SecretProviderClass object list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub format: &'static str,
    #[serde(flatten)]
    pub place: Place,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// What is granted: an ARN, a Vault path, a secret name pattern; `*` for everything.
    pub resource: String,
    /// Actions or capabilities (`secretsmanager:GetSecretValue`, `read`, `get`, `purge`).
    pub actions: Vec<String>,
    /// The extractor's own verdict that this grant covers every secret of a store (e.g.
    /// `dataFrom.find` with a match-all pattern); the check also judges `resource`/`actions`.
    pub all_secrets: bool,
}

/// An X.509 certificate: committed as PEM or DER, or declared in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    #[serde(flatten)]
    pub place: Place,
    /// The subject's common name (or the declared name).
    pub subject: String,
    /// `notAfter`, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_after: String,
}

/// A file that could not be read as its format (warning) or was skipped on purpose (note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    /// 1-based; 0 when the problem is the whole file.
    pub line: usize,
    pub message: String,
    /// A note (e.g. a Helm template skipped), not a warning.
    pub note: bool,
}

/// Everything found under one root.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub refs: Vec<SecretRef>,
    pub secrets: Vec<SecretDecl>,
    pub stores: Vec<StoreDecl>,
    pub grants: Vec<Grant>,
    pub certificates: Vec<Certificate>,
    #[serde(skip)]
    pub problems: Vec<Problem>,
    /// Files read.
    #[serde(skip)]
    pub files: u64,
}

impl Facts {
    pub fn extend(&mut self, other: Facts) {
        self.refs.extend(other.refs);
        self.secrets.extend(other.secrets);
        self.stores.extend(other.stores);
        self.grants.extend(other.grants);
        self.certificates.extend(other.certificates);
        self.problems.extend(other.problems);
        self.files += other.files;
    }

    /// Deterministic order: by path, line, column.
    pub fn sort(&mut self) {
        self.refs
            .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        self.secrets.sort_by(|a, b| a.place.cmp(&b.place));
        self.stores.sort_by(|a, b| a.place.cmp(&b.place));
        self.grants.sort_by(|a, b| a.place.cmp(&b.place));
        self.certificates.sort_by(|a, b| a.place.cmp(&b.place));
        self.problems
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    }
}
