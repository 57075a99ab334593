import type { BenchContext } from '../lib/context.js';
import type { ScenarioId } from '../lib/options.js';
import type { ScenarioResult } from '../lib/result.js';

/** A scenario fills `res` as it goes, so a failure half-way keeps what was measured. */
export interface Scenario {
  id: ScenarioId;
  title: string;
  run(ctx: BenchContext, res: ScenarioResult): Promise<void>;
}
