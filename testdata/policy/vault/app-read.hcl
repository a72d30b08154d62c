# Read-only access to the payments app's secrets (KV v2).
path "kv-payments/data/prod/*" {
  capabilities = ["read", "list"]
}

path "kv-payments/metadata/prod/*" {
  capabilities = ["list"]
}

# Never the admin credentials.
path "kv-payments/data/prod/admin" {
  capabilities = ["deny"]
}
