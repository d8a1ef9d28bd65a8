"""The app's database credential, rotated by our own Secrets Manager rotation function.

Why our own: AWS's ready-made function comes from the Serverless Application Repository,
whose CloudFormation-created role would not carry the IAM permissions boundary our
deploy role puts on every role it creates.

Strategy, Secrets Manager's *alternating users*: the app's base role (`guestbook`) and
its alternate (`guestbook_clone`, a member of the base role) take turns. Each rotation
gives the role that is *not* in use a new password, tests it, then makes it current, so
the credential the app holds keeps working until the rotation after next; open sessions
are never cut. The app connects with `options=-c role=<base>`, so whichever role logs in,
it works as the base role and every object stays owned by it.

The four steps Secrets Manager calls (steps.py):

- createSecret: stage a new password for the other role as AWSPENDING. The first rotation
  starts from a secret with no version at all (Terraform creates it empty, so no
  password ever lands in Terraform state) and stages the base role.
- setSecret: as the RDS master user, create or alter that role. The password travels as a
  SCRAM-SHA-256 verifier (scram.py), never in clear: RDS logs DDL statements.
- testSecret: log in with the pending credential and use the base role's schema.
- finishSecret: move AWSCURRENT to the new version.

Every step is idempotent (Secrets Manager retries), refuses any secret but SECRET_ARN
(a confused deputy), and logs one line without secrets. Host, port and database name
come from the function's environment, never from a secret, so whoever may write the
secret cannot point the master credential at another server. The database is reached
over TLS verified against RDS's CA bundle (tls.py), with no way to turn that off.

Modules: settings (environment), tls (CA bundle), scram (verifier), roles (the SQL),
database (connections), secret (secret values), steps, handler (Lambda entry point),
package (the deterministic zip Terraform deploys).
"""
