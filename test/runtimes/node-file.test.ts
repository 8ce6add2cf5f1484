import { tempDatabase } from '../helpers/database.ts';
import { nodeTarget } from '../helpers/targets.ts';
import { describeBehaviour } from './behaviour.ts';

describeBehaviour('Node server with a libSQL file', async () => {
  const database = await tempDatabase();
  const target = await nodeTarget({ DATABASE_URL: database.url });
  return { target, db: database.db, dispose: () => database.dispose() };
});
