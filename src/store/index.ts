import { AppointmentRepo } from './appointments.js';
import { CallLog } from './calls.js';
import { type Db, openDatabase } from './db.js';
import { IdempotencyStore } from './idempotency.js';

export interface Store {
  db: Db;
  appointments: AppointmentRepo;
  calls: CallLog;
  idempotency: IdempotencyStore;
  close(): void;
}

export function createStore(path: string): Store {
  const db = openDatabase(path);
  return {
    db,
    appointments: new AppointmentRepo(db),
    calls: new CallLog(db),
    idempotency: new IdempotencyStore(db),
    close: () => db.close(),
  };
}
