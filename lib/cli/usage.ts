/** The `--help` text of the `nestjs-s3-lock` command. */
export const USAGE = `Usage: nestjs-s3-lock <command> [options]

Inspect and free the locks of nestjs-s3-lock.

Commands:
  status <key>            Show one lock: state, holder, lock time, expiry (by the
                          store's clock), token, release time, ETag.
  list                    Show every lock under the prefix (a table, or --json).
  release <key> --force   Free a lock whose holder is gone. Writes only if the lock
                          is still in the state just read (If-Match on its ETag);
                          refuses if it changed. Add --etag <etag> (from status) to
                          free it only if it is still in the state you saw.

Options:
  --bucket <name>    The bucket of the locks (or S3_LOCK_BUCKET).
  --prefix <prefix>  The prefix of the lock objects (or S3_LOCK_PREFIX; default "locks/").
  --json             Print JSON (status, list).
  --force            Required by release.
  --etag <etag>      release: only if the lock still has this ETag.
  -h, --help         Show this help.

S3 access comes from the same environment as the AWS CLI: AWS_REGION, AWS_PROFILE,
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3 (S3-compatible stores), ...

Exit codes:
  0 done (also: release of a lock that is already free)   1 unexpected failure
  2 bad usage            3 no lock with that key          4 release refused: the lock changed
  5 no such bucket       6 credentials refused / access denied
  7 S3 unreachable or failing                             8 the object is not a lock document
`;
