# Azure Key Vault fixtures: compliant and non-compliant vaults and secrets (fake values only).

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "prod" {
  name     = "rg-payments-prod"
  location = "westeurope"
}

# Compliant: purge protection on, soft delete 90 days, Azure RBAC.
resource "azurerm_key_vault" "prod" {
  name                       = "kv-prod-payments"
  location                   = azurerm_resource_group.prod.location
  resource_group_name        = azurerm_resource_group.prod.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "premium"
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  enable_rbac_authorization  = true

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }

  tags = {
    environment = "production"
  }
}

# Non-compliant: purge protection absent (provider default: off), 7-day soft delete, and
# access policies (one of them grants every secret permission).
resource "azurerm_key_vault" "dev" {
  name                       = "kv-dev-payments"
  location                   = "westeurope"
  resource_group_name        = "rg-payments-dev"
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  soft_delete_retention_days = 7

  access_policy {
    tenant_id          = data.azurerm_client_config.current.tenant_id
    object_id          = data.azurerm_client_config.current.object_id
    secret_permissions = ["Get", "List", "Set", "Delete", "Recover", "Backup", "Restore", "Purge"]
  }

  access_policy {
    tenant_id          = data.azurerm_client_config.current.tenant_id
    object_id          = azurerm_user_assigned_identity.api.principal_id
    secret_permissions = ["Get", "List"]
  }
}

# Non-compliant: purge protection explicitly off.
resource "azurerm_key_vault" "staging" {
  name                     = "kv-stg-payments"
  location                 = "westeurope"
  resource_group_name      = "rg-payments-stg"
  tenant_id                = data.azurerm_client_config.current.tenant_id
  sku_name                 = "standard"
  purge_protection_enabled = false
}

resource "azurerm_user_assigned_identity" "api" {
  name                = "id-payments-api"
  location            = "westeurope"
  resource_group_name = "rg-payments-dev"
}

resource "azurerm_key_vault_access_policy" "ci" {
  key_vault_id       = azurerm_key_vault.staging.id
  tenant_id          = data.azurerm_client_config.current.tenant_id
  object_id          = "00000000-0000-0000-0000-00000000c1c1"
  secret_permissions = ["Get"]
}

resource "azurerm_role_assignment" "api_secrets" {
  scope                = azurerm_key_vault.prod.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.api.principal_id
}

# Compliant: expiry and content type.
resource "azurerm_key_vault_secret" "db_password" {
  name            = "db-password"
  value           = random_password.db.result
  key_vault_id    = azurerm_key_vault.prod.id
  content_type    = "password"
  expiration_date = "2027-06-30T00:00:00Z"
  not_before_date = "2025-01-01T00:00:00Z"

  tags = {
    owner = "payments-team"
  }
}

# Non-compliant: no expiration_date.
resource "azurerm_key_vault_secret" "api_key" {
  name         = "api-key"
  value        = var.api_key
  key_vault_id = azurerm_key_vault.prod.id
  content_type = "text/plain"
}

# Non-compliant: no content_type.
resource "azurerm_key_vault_secret" "webhook_token" {
  name            = "webhook-token"
  value           = var.webhook_token
  key_vault_id    = azurerm_key_vault.dev.id
  expiration_date = "2026-12-31T23:59:59Z"
}

# Non-compliant: neither, and the value is written in place.
resource "azurerm_key_vault_secret" "legacy" {
  name         = "legacy-smtp-password"
  value        = "fake-Smtp-Passw0rd-not-real"
  key_vault_id = azurerm_key_vault.staging.id
}

resource "random_password" "db" {
  length = 32
}

resource "azurerm_key_vault_certificate" "tls" {
  name         = "api-tls"
  key_vault_id = azurerm_key_vault.prod.id

  certificate_policy {
    issuer_parameters {
      name = "Self"
    }
    key_properties {
      exportable = true
      key_size   = 2048
      key_type   = "RSA"
      reuse_key  = true
    }
    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        days_before_expiry = 30
      }
    }
    secret_properties {
      content_type = "application/x-pkcs12"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature", "keyEncipherment"]
      subject            = "CN=api.payments.example"
      validity_in_months = 12
    }
  }
}

variable "api_key" {
  type      = string
  sensitive = true
}

variable "webhook_token" {
  type      = string
  sensitive = true
}
