export interface TierResult {
  name?: string;
  code: number;
  passed?: number;
  failed?: number;
  skipped?: string;
  seconds?: number;
}
export declare function parseCounts(text: string): { passed: number | undefined; failed: number | undefined };
export declare function describeTier(result: TierResult): string;
export declare function totals(results: TierResult[]): {
  passed: number;
  failed: number;
  failedTiers: string[];
};
export declare function totalLine(results: TierResult[]): string;
