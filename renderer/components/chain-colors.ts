// One color per chain count, from cool (few chains: the small model) to warm (all chains: the
// full model), so a strip of tokens shows at a glance how much of the model spoke.
export function chainColor(chains: number, chainCount: number): string {
  if (chains <= 0) return 'var(--muted)';
  const t = chainCount <= 1 ? 1 : (chains - 1) / (chainCount - 1);
  const hue = Math.round(195 - t * 170); // 195 (cyan) .. 25 (orange)
  return `hsl(${hue} 72% 50%)`;
}
