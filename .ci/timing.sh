# Stage timings for the CI scripts (sourced, not run). `stage NAME` ends the running stage and
# starts the next; at exit a table of the stages' durations is printed, the running one marked
# FAILED if the script failed, so a slow or broken stage is named either way.

_stage_names=()
_stage_seconds=()
_stage_start=""

stage() {
  _stage_end
  _stage_names+=("$1")
  _stage_start=$SECONDS
  echo "== $1"
}

_stage_end() {
  if [ -n "$_stage_start" ]; then
    _stage_seconds+=($((SECONDS - _stage_start)))
    _stage_start=""
  fi
}

_stage_report() {
  local status=$? i
  [ "${#_stage_names[@]}" -gt 0 ] || return 0
  _stage_end
  echo "== stage timings: $(basename "$0") (wall clock; noisy on a shared machine)"
  for i in "${!_stage_names[@]}"; do
    printf '%3d:%02d  %s\n' $((_stage_seconds[i] / 60)) $((_stage_seconds[i] % 60)) \
      "${_stage_names[i]}"
  done
  printf '%3d:%02d  total\n' $((SECONDS / 60)) $((SECONDS % 60))
  if [ "$status" -ne 0 ] && [ "${#_stage_names[@]}" -gt 0 ]; then
    echo "FAILED (exit status $status) in stage: ${_stage_names[-1]}" >&2
  fi
}

trap _stage_report EXIT
