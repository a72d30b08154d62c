provider "google" {
  project = "payments-prod-4711"
  region  = "europe-west1"
}

resource "google_secret_manager_secret" "api" {
  secret_id   = "api-key"
  expire_time = "2027-01-31T00:00:00Z"

  labels = {
    owner = "payments-team"
  }

  replication {
    auto {}
  }

  rotation {
    next_rotation_time = "2026-03-01T00:00:00Z"
    rotation_period    = "7776000s"
  }

  topics {
    name = google_pubsub_topic.rotation.id
  }
}

resource "google_secret_manager_secret" "session" {
  secret_id = "session-key"
  ttl       = "2592000s"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret" "no_lifecycle" {
  secret_id = "webhook-signing"
  project   = "payments-stg-4712"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "session" {
  secret      = google_secret_manager_secret.session.id
  secret_data = "fake-session-key-abcdef0123456789"
}

resource "google_pubsub_topic" "rotation" {
  name = "secret-rotation"
}

data "google_secret_manager_secret_version" "db" {
  secret  = "db-password"
  version = "5"
}
