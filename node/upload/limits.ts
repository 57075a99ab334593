// The node's upload settings, as every upload path (PUT, tus) applies them.
export interface UploadLimits {
  maxUploadSize: number;
  /** Bytes kept free on the data disk. */
  reserve: number;
  /** Bytes/s over `rateWindowMs` below which an upload is cut (0 = off). */
  minUploadRate: number;
  rateWindowMs: number;
}
