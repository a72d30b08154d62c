using './main.bicep'

param keyVaultName = 'kv-orders-prod'
param apiKey = az.getSecret('00000000-0000-0000-0000-000000000000', 'rg-shared', 'kv-shared-prod', 'orders-signing-key', '00112233445566778899aabbccddeeff')
