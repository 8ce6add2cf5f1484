import { sqldDatabase } from '../helpers/sqld-database.ts';
import { nodeTarget } from '../helpers/targets.ts';
import { describeBehaviour } from './behaviour.ts';

describeBehaviour('Node server with sqld', async () => {
  const database = await sqldDatabase();
  const target = await nodeTarget({ DATABASE_URL: database.sqld.url });
  return { target, db: database.db, dispose: () => database.dispose() };
});
