// One abort signal per cloud call. The SDKs add an 'abort' listener to the signal of every request
// and long-running-operation poller they run, and Node warns (MaxListenersExceededWarning, "Possible
// EventTarget memory leak") when one signal holds more than 10: 50 creates in flight on the task's one
// cancellation signal did. A signal that follows the task's (AbortSignal.any) carries the listeners
// of one call, and adds none to the task's signal, which aborts it all the same.

/** A signal of its own for one call, aborted when `signal` is (with its reason). */
export function callSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal ? AbortSignal.any([signal]) : undefined;
}
