# A syntax error on line 4: the rest of the run must go on.
resource "azurerm_key_vault_secret" "broken" {
  name  = "broken"
  value = 
  key_vault_id = azurerm_key_vault.x.id
}
