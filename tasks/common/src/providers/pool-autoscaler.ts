// The PoolAutoscaler port: a pool of machines that sizes itself to the agents the scaler adds
// (Batch pool autoscale). Built by the factory for the providers that have one; the scaler only asks
// it to make sure the pool autoscales with the user's formula.

export type AutoscaleAction = 'unchanged' | 'enabled' | 'rejected';

export interface AutoscaleOutcome {
  action: AutoscaleAction;
  /** What happened, for the log; for 'rejected' the service's words about the formula. */
  message: string;
  /** The evaluation interval asked for. */
  interval?: string;
}

export interface PoolAutoscaler {
  /** The pool's id, for messages. */
  readonly poolId: string;
  /** Makes sure the pool autoscales with the formula; a formula the service rejects is an outcome, not an error. */
  ensure(): Promise<AutoscaleOutcome>;
}
