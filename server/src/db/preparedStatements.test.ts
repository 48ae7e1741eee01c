// Recurring write statements are prepared on their connection after a few uses; rare ones and overflow stay unnamed.
import { describe, expect, test } from 'vitest';
import { useTestPool } from '../accounts/accountTesting.ts';
import { MAX_PREPARED_TEXTS, PREPARE_AFTER_USES, PreparedStatements } from './preparedStatements.ts';
import { StatementBatch } from './statementBatch.ts';

const pool = useTestPool();

describe('PreparedStatements', () => {
  test('a text is named from its third use on, always with the same name', () => {
    const prepared = new PreparedStatements();
    const uses = Array.from({ length: PREPARE_AFTER_USES + 2 }, () => prepared.nameFor('INSERT INTO t VALUES ($1)'));
    expect(uses.slice(0, PREPARE_AFTER_USES - 1)).toEqual([undefined, undefined]);
    const name = uses[PREPARE_AFTER_USES - 1];
    expect(name).toMatch(/^rpm_[A-Za-z0-9_-]{32}$/);
    expect(uses.slice(PREPARE_AFTER_USES)).toEqual([name, name]);
    expect(prepared.nameFor('INSERT INTO u VALUES ($1)')).toBeUndefined();
  });

  test('different texts get different names; past the limit new texts stay unnamed, named ones keep theirs', () => {
    const prepared = new PreparedStatements();
    const names = new Set<string>();
    for (let i = 0; i < MAX_PREPARED_TEXTS + 5; i++) {
      let name: string | undefined;
      for (let use = 0; use < PREPARE_AFTER_USES; use++) {
        name = prepared.nameFor(`SELECT ${i}`);
      }
      if (name) {
        names.add(name);
      }
    }
    expect(names.size).toBe(MAX_PREPARED_TEXTS);
    expect(prepared.size).toBe(MAX_PREPARED_TEXTS);
    expect(prepared.nameFor('SELECT 0')).toBeDefined();
    expect(prepared.nameFor(`SELECT ${MAX_PREPARED_TEXTS + 1}`)).toBeUndefined();
  });
});

describe('a batch of writes sent repeatedly on one connection', () => {
  test('is prepared there once, and every run writes its own rows', async () => {
    const client = await pool.connect();
    try {
      await client.query('CREATE TEMP TABLE prepared_write_test (id int, label text)');
      for (let i = 0; i < 6; i++) {
        const batch = new StatementBatch();
        batch.add(
          (n) => `INSERT INTO prepared_write_test SELECT * FROM unnest($${n}::int[], $${n + 1}::text[])`,
          [
            [i, i + 100],
            [`a${i}`, `b${i}`],
          ]
        );
        // The previous run's second row: a statement of the batch does not see rows the batch itself inserts.
        batch.add((n) => `DELETE FROM prepared_write_test WHERE id = $${n}::int`, [i + 99]);
        await batch.run(client);
      }
      const { rows } = await client.query('SELECT id, label FROM prepared_write_test ORDER BY id');
      expect(rows).toEqual([
        ...Array.from({ length: 6 }, (_, i) => ({ id: i, label: `a${i}` })),
        { id: 105, label: 'b5' },
      ]);
      const prepared = await client.query(
        `SELECT name FROM pg_prepared_statements WHERE statement LIKE '%prepared_write_test%'`
      );
      expect(prepared.rows).toHaveLength(1);
    } finally {
      await client.query('DROP TABLE IF EXISTS prepared_write_test');
      client.release();
    }
  });
});
