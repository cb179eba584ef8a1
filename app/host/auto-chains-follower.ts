// What `chains: "auto"` means inside one generation. The parent pushes the chain policy's count
// (setAutoChains) whenever it changes; the decode loop calls the function made here before every
// token, so following the policy costs a field read and a comparison per token.
//
// CoLM-Air shares one K/V cache built from chain 1, so it changes size between any two tokens,
// both ways. Plain CoLM keeps K/V per chain: dropping chains is free, but adding them back would
// recompute their K/V over the whole past in the middle of a reply. So within one generation plain
// CoLM only shrinks (a ceiling that falls with the policy and never rises), and grows at the next
// turn, whose prefill computes the new chains' K/V anyway.

/** `read` gives the policy's latest count; the result is what the next token runs with. */
export function followAutoChains(read: () => number, chainCount: number, kvSharing: boolean): (position: number) => number {
  const clamp = (k: number) => (Number.isFinite(k) ? Math.min(chainCount, Math.max(1, Math.round(k))) : chainCount);
  if (kvSharing) return () => clamp(read());
  let ceiling = chainCount; // the first call (the prefill, at the turn boundary) may take any count
  return () => {
    ceiling = Math.min(ceiling, clamp(read()));
    return ceiling;
  };
}
