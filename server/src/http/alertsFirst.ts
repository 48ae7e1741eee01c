// Under load the alert pipeline goes first: other FHIR requests in progress are limited, the bots' own never wait.
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../auth/authenticate.ts';
import { isBotClient } from '../bots/botIdentity.ts';

/** Connections of the pool kept for the alert pipeline (bot requests, the job queue, the audit log) under load. */
export const CONNECTIONS_KEPT_FOR_ALERTS = 4;

/** A counting gate: at most `limit` holders; the rest wait in arrival order. */
export class RequestGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Resolves once the caller holds a place; call the returned function (once is enough) to give it up. */
  async enter(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      // The place is handed over by the holder who leaves, so `active` does not change.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let left = false;
    return () => {
      if (left) {
        return;
      }
      left = true;
      const next = this.waiting.shift();
      if (next) {
        next();
      } else {
        this.active--;
      }
    };
  }

  /** Requests waiting for a place (tests, diagnostics). */
  get queued(): number {
    return this.waiting.length;
  }
}

/**
 * The place a request holds at the gate, in `res.locals.gatePlace`: a request that must wait for something else (a
 * reading held while alerts run late) gives it back meanwhile and takes a place again, in turn, to go on.
 */
export interface GatePlace {
  giveBack(): void;
  takeAgain(then: () => void): void;
}

/**
 * Express middleware, after authentication: a request of any client other than a bot waits for a place at `gate`
 * and keeps it until its response is finished or abandoned. With the gate below the pool's size, a flood of
 * readings waits here (in memory, in arrival order) rather than in the database pool's queue, so the alert bots'
 * searches and writes, the job queue and the audit log always find a connection: under overload, alerts about the
 * readings already stored come before accepting more readings.
 */
export function alertsFirst(gate: RequestGate) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isBotClient((res.locals.caller as Caller | undefined)?.clientId)) {
      next();
      return;
    }
    const enter = (then: () => void): void => {
      void gate.enter().then((leave) => {
        res.once('close', leave);
        if (res.destroyed || res.writableEnded || req.socket.destroyed) {
          leave(); // The client gave up while waiting: nothing to do.
          return;
        }
        const place: GatePlace = { giveBack: leave, takeAgain: enter };
        res.locals.gatePlace = place;
        then();
      });
    };
    enter(next);
  };
}
