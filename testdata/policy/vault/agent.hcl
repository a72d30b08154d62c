vault {
  address = "http://127.0.0.1:8200"
}

auto_auth {
  method "kubernetes" {
    config = {
      role = "payments"
    }
  }
}

template {
  source      = "/etc/vault/db.ctmpl"
  destination = "/run/secrets/db"
}
