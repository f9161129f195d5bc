# Stage timings for the CI scripts (sourced, not run). `stage NAME` ends the running stage and
# starts the next; at exit a table of the stages' durations is printed, the running one marked
# FAILED if the script failed, so a slow or broken stage is named either way. Each stage shows
# wall-clock time and the CPU time of the processes it ran (user + system, from /proc): on a
# shared machine the first is noisy, the second is what a dedicated machine would need.

_stage_names=()
_stage_seconds=()
_stage_cpu=()
_stage_marks=()
_stage_start=""
_stage_cpu_start=""

_cpu_seconds() {  # CPU seconds of this shell's finished children (cutime + cstime)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($16 + $17) / hz }' "/proc/$$/stat"
}

stage() {
  _stage_end
  _stage_names+=("$1")
  _stage_marks+=("")
  _stage_start=$SECONDS
  _stage_cpu_start=$(_cpu_seconds)
  echo "== $1"
}

stage_failed() {  # marks the running stage FAILED in the table (for a script that carries on)
  _stage_marks[-1]="  FAILED"
}

_stage_end() {
  if [ -n "$_stage_start" ]; then
    _stage_seconds+=($((SECONDS - _stage_start)))
    _stage_cpu+=($(($(_cpu_seconds) - _stage_cpu_start)))
    printf '== %d:%02d wall, %d:%02d cpu: %s\n' $((_stage_seconds[-1] / 60)) \
      $((_stage_seconds[-1] % 60)) $((_stage_cpu[-1] / 60)) $((_stage_cpu[-1] % 60)) \
      "${_stage_names[-1]}"
    _stage_start=""
  fi
}

_stage_report() {
  local status=$? i
  [ "${#_stage_names[@]}" -gt 0 ] || return 0
  _stage_end
  echo "== stage timings: $(basename "$0") (minutes:seconds)"
  echo "   wall    cpu  stage"
  for i in "${!_stage_names[@]}"; do
    printf '%4d:%02d %3d:%02d  %s%s\n' $((_stage_seconds[i] / 60)) $((_stage_seconds[i] % 60)) \
      $((_stage_cpu[i] / 60)) $((_stage_cpu[i] % 60)) "${_stage_names[i]}" "${_stage_marks[i]}"
  done
  local cpu
  cpu=$(_cpu_seconds)
  printf '%4d:%02d %3d:%02d  total\n' $((SECONDS / 60)) $((SECONDS % 60)) $((cpu / 60)) $((cpu % 60))
  if [ "$status" -ne 0 ] && [ "${#_stage_names[@]}" -gt 0 ]; then
    echo "FAILED (exit status $status) in stage: ${_stage_names[-1]}" >&2
  fi
}

trap _stage_report EXIT
