resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-broken
}
