provider "vault" {
  address = "http://vault.internal.example:8200"
}

provider "vault" {
  alias   = "secure"
  address = "https://vault.example:8200"
}

resource "vault_mount" "kvv2" {
  path = "kv-payments"
  type = "kv-v2"
}

resource "vault_kv_secret_v2" "db" {
  mount = vault_mount.kvv2.path
  name  = "prod/db"
  data_json = jsonencode({
    username = "app"
    password = var.db_password
  })
  custom_metadata {
    max_versions         = 5
    delete_version_after = 7776000
    data = {
      owner = "payments-team"
    }
  }
}

resource "vault_generic_secret" "legacy" {
  path      = "secret/legacy/smtp"
  data_json = <<EOT
{
  "password": "fake-smtp-password-not-real"
}
EOT
}

data "vault_generic_secret" "stripe" {
  path = "secret/prod/stripe"
}

data "vault_kv_secret_v2" "db" {
  mount = "kv-payments"
  name  = "prod/db"
}

ephemeral "vault_kv_secret_v2" "token" {
  mount   = "kv-payments"
  name    = "prod/api-token"
  version = 3
}

resource "vault_policy" "app" {
  name   = "payments-app"
  policy = <<EOT
path "kv-payments/data/prod/*" {
  capabilities = ["read"]
}

path "kv-payments/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
EOT
}

variable "db_password" {
  type      = string
  sensitive = true
}
