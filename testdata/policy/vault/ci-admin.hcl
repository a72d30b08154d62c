# Far too broad: every secret of the mount, and sys with sudo.
path "secret/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}

path "+/data/*" {
  capabilities = ["read"]
}

path "sys/policies/acl/*" {
  capabilities = ["create", "update", "sudo"]
}
