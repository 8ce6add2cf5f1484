/**
 * The log-scale duration buckets of usage_latency_hourly: durations below 16 ms are exact, longer
 * ones fall into 8 buckets per power of two (HDR-histogram style), so a bucket is at most 1/8 of
 * its lower bound wide and {@link bucketDuration} is within 1/16 (6.25%) of every duration in it.
 * Mirrored by {@link durationBucketSql}, which migration 0005's backfill and prune use
 * (test/usage-rollup.test.ts checks both agree). Durations of 2^31 ms or more share the last bucket.
 */
export function durationBucket(durationMs: number): number {
  const d = Math.trunc(durationMs);
  if (d < 16) return Math.max(d, 0);
  if (d >= 2 ** 31) return LAST_BUCKET;
  const k = 31 - Math.clz32(d); // 2^k <= d < 2^(k+1), k >= 4
  return 8 * (k - 3) + Math.floor(d / 2 ** (k - 3));
}

const LAST_BUCKET = 8 * 29;

/** The duration a bucket reports: the middle of its range (exact below 16 ms). */
export function bucketDuration(bucket: number): number {
  if (bucket < 16) return bucket;
  if (bucket >= LAST_BUCKET) return 2 ** 31;
  const k = Math.floor(bucket / 8) + 2;
  const width = 2 ** (k - 3);
  return (8 + (bucket % 8)) * width + Math.floor(width / 2);
}

/** The SQL CASE expression of {@link durationBucket} over an integer column, for rollups computed in SQL. */
export function durationBucketSql(column: string): string {
  const arms = [`when ${column} < 16 then max(${column}, 0)`];
  for (let k = 4; k <= 30; k++) arms.push(`when ${column} < ${2 ** (k + 1)} then ${8 * (k - 3)} + (${column} >> ${k - 3})`);
  return `(case ${arms.join(' ')} else ${LAST_BUCKET} end)`;
}
