/**
 * How the writes of a turn's record know, in the same round trip, whether
 * the statement that ends the turn did end it (issue 17: the record is one
 * round trip, so nothing waits for that statement's answer before sending
 * them).
 *
 * The end of a turn sets {@link finishedTurnSetting} to the turn's id,
 * transaction-local, only when it found the turn running and ended it; each
 * later write of the record (the meter record, the budget settlement, the
 * key release, the pending approvals) carries {@link onlyIfFinishedTurn}
 * and writes nothing otherwise. A turn ended elsewhere meanwhile (a reaper,
 * a termination) so gets nothing written twice, as when the record stopped
 * at its end. The setting resets at COMMIT or ROLLBACK.
 */
export const finishedTurnSetting = 'app.finished_turn';

/** A SQL condition: this transaction ended the turn whose id is `turnId` (a placeholder or an expression of type text). */
export const onlyIfFinishedTurn = (turnId: string) => `current_setting('${finishedTurnSetting}', true) = ${turnId}`;
