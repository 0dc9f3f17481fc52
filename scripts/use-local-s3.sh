# Sourced (not run) by the project's scripts, from the repository root:
#   . scripts/use-local-s3.sh
# Makes the local Ceph RGW (scripts/local-s3.sh) the S3 store of the calling script: starts it
# unless it is already running (installing Ceph if needed), stops it when the calling script
# exits if it was started here, and exports its endpoint and credentials.
if ! bash scripts/local-s3.sh status >/dev/null 2>&1; then
  bash scripts/local-s3.sh start
  trap 'bash scripts/local-s3.sh stop' EXIT
fi
eval "$(bash scripts/local-s3.sh env)"
