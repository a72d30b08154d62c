# IAM grants on secrets.

resource "aws_iam_role" "app" {
  name = "payments-app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

# Least privilege: one secret.
resource "aws_iam_role_policy" "app_db" {
  name = "read-db-secret"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [aws_secretsmanager_secret.db.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::payments-reports/*"]
      },
    ]
  })
}

# Every secret in the account.
resource "aws_iam_policy" "ci_all_secrets" {
  name   = "ci-all-secrets"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      "Resource": "arn:aws:secretsmanager:*:111122223333:secret:*"
    }
  ]
}
EOF
}

data "aws_iam_policy_document" "ssm_read" {
  statement {
    effect    = "Allow"
    actions   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
    resources = ["arn:aws:ssm:eu-west-1:111122223333:parameter/prod/payments/*"]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = ["*"]
  }
  statement {
    effect    = "Deny"
    actions   = ["secretsmanager:DeleteSecret"]
    resources = ["*"]
  }
}
