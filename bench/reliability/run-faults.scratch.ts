process.on('SIGTERM', () => process.exit(143));
import { coreDown } from './core-down.ts';
import { modemLoss } from './modem-loss.ts';
import { redisRestart } from './redis-restart.ts';
const all = [modemLoss, redisRestart, coreDown];
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
for (const s of all.filter((s) => names.length === 0 || names.includes(s.name))) {
  console.log(`${s.name} …`, new Date().toISOString());
  const r = await s.run({ quick });
  console.log(JSON.stringify(r));
}
process.exit(0);
