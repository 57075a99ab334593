// The kinds of user the tracker knows, as the wire names them: in signed
// download URLs (nodes enforce a tier's download policy from them), in
// GET /api/status and in per-tier metrics. docs/tiers.md has the rules.

export const TIERS = ['anonymous', 'free', 'premium', 'admin'] as const;
export type Tier = (typeof TIERS)[number];

export const isTier = (v: unknown): v is Tier => typeof v === 'string' && (TIERS as readonly string[]).includes(v);
