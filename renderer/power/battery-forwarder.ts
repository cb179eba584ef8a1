// The page's battery reading (navigator.getBattery), forwarded to the chain policy where the
// bridge takes it: in the desktop app Chromium reads the battery and Electron's main process
// cannot, so the level and charging state come from here. Sent once at start and on each change.
import type { BatteryReading, Bridge } from '../bridge/types.js';

interface BatteryManagerLike extends EventTarget {
  level: number;
  charging: boolean;
}

interface NavigatorWithBattery {
  getBattery?: () => Promise<BatteryManagerLike>;
}

/** Starts forwarding; returns the function that stops it. Does nothing where the bridge takes none. */
export function forwardBattery(bridge: Bridge, nav: NavigatorWithBattery | undefined = globalThis.navigator as NavigatorWithBattery | undefined): () => void {
  const report = bridge.reportBattery?.bind(bridge);
  if (!report) return () => undefined;
  const send = (reading: BatteryReading) => void report(reading).catch(() => undefined); // a lost reading is replaced by the next
  if (typeof nav?.getBattery !== 'function') {
    send(null);
    return () => undefined;
  }
  let stopped = false;
  let manager: BatteryManagerLike | null = null;
  const onChange = () => {
    if (manager && !stopped) send({ level: manager.level, charging: manager.charging });
  };
  nav
    .getBattery()
    .then((m) => {
      if (stopped) return;
      manager = m;
      m.addEventListener('levelchange', onChange);
      m.addEventListener('chargingchange', onChange);
      onChange();
    })
    .catch(() => send(null));
  return () => {
    stopped = true;
    manager?.removeEventListener('levelchange', onChange);
    manager?.removeEventListener('chargingchange', onChange);
  };
}
