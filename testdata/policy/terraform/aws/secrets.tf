# AWS Secrets Manager fixtures (fake values only).

provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "secrets" {
  description         = "secrets"
  enable_key_rotation = true
}

# Rotated every 30 days, customer-managed key.
resource "aws_secretsmanager_secret" "db" {
  name                    = "prod/payments/db"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 7

  tags = {
    Owner       = "payments-team"
    Environment = "production"
  }
}

resource "aws_secretsmanager_secret_rotation" "db" {
  secret_id           = aws_secretsmanager_secret.db.id
  rotation_lambda_arn = "arn:aws:lambda:eu-west-1:111122223333:function:rotate-db"

  rotation_rules {
    automatically_after_days = 30
  }
}

# No rotation, AWS-managed key, forced delete; its value is written in place.
resource "aws_secretsmanager_secret" "legacy" {
  name_prefix             = "legacy-api-"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "legacy" {
  secret_id     = aws_secretsmanager_secret.legacy.id
  secret_string = "fake-legacy-api-key-0000000000"
}

# Value from a variable: not a literal.
resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ username = "app", password = var.db_password })
}

# Rotation by schedule expression, and a resource policy.
resource "aws_secretsmanager_secret" "reports" {
  name = "staging/reports/token"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/reports" }
      Action    = "secretsmanager:GetSecretValue"
      Resource  = "*"
    }]
  })
}

resource "aws_secretsmanager_secret_rotation" "reports" {
  secret_id           = aws_secretsmanager_secret.reports.id
  rotation_lambda_arn = "arn:aws:lambda:eu-west-1:111122223333:function:rotate-reports"

  rotation_rules {
    schedule_expression = "rate(10 days)"
  }
}

resource "aws_ssm_parameter" "smtp" {
  name  = "/prod/smtp/password"
  type  = "SecureString"
  value = "fake-smtp-password-123"
}

variable "db_password" {
  type      = string
  sensitive = true
}

data "aws_secretsmanager_secret" "shared" {
  name = "prod/shared/stripe"
}

data "aws_secretsmanager_secret_version" "shared" {
  secret_id = data.aws_secretsmanager_secret.shared.id
}
