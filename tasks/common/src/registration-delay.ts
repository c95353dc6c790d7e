// The warning both creating tasks give when new agents may wait for capacity longer than their
// registration token lives.

/** The warning for a provider that expects agents to wait for capacity: their registration may expire first. */
export function registrationDelayWarning(reason: string): string {
  return `${reason}. The agents wait until it starts them; an Entra registration token lives 60 to 90 minutes from its create and the ` +
    'job access token as long as the job, so an agent that starts after its token expired cannot register (HTTP 401) and its container ' +
    'exits with code 78. Make tasks start within the token\'s life: give the Batch pool free nodes before the request (a larger pool, ' +
    'or an autoscale formula that keeps a minimum number of dedicated nodes), or use provider \'aci\', which starts each container at once.';
}
