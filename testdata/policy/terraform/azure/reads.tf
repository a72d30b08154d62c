# Secrets read from an existing vault.
data "azurerm_key_vault" "shared" {
  name                = "kv-prod-shared"
  resource_group_name = "rg-shared-prod"
}

data "azurerm_key_vault_secret" "stripe" {
  name         = "stripe-api-key"
  key_vault_id = data.azurerm_key_vault.shared.id
}

data "azurerm_key_vault_secret" "pinned" {
  name         = "signing-key"
  key_vault_id = data.azurerm_key_vault.shared.id
  version      = "0123456789abcdef0123456789abcdef"
}
