// Orders service: Key Vault and its secrets
param keyVaultName string = 'kv-orders-prod'
@secure()
param apiKey string

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enablePurgeProtection: true
    accessPolicies: [
      {
        tenantId: subscription().tenantId
        objectId: '11111111-2222-3333-4444-555555555555'
        permissions: {
          secrets: [ 'all' ]
        }
      }
    ]
  }
}

resource apiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 'orders-api-key'
  properties: {
    value: apiKey
    attributes: {
      exp: 1767225600
    }
  }
}

resource shared 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-shared-prod'
}

module db './db.bicep' = {
  name: 'db'
  params: {
    adminPassword: shared.getSecret('sql-admin-password')
  }
}
