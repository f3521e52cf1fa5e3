// Package saga is the Saga pattern: a long business transaction split into
// local transactions, one per service, each with a compensation that
// semantically undoes it. There is no distributed lock and no atomic
// commit: if step k fails, steps k-1 ... 1 are compensated, newest first,
// and the system ends consistent again (Garcia-Molina and Salem, 1987).
//
// The example is the usual shop: create the order, charge the payment,
// reserve the stock, schedule the shipment. If the stock runs out, the
// payment is refunded and the order cancelled; nobody is charged for an
// order that does not exist.
//
// # Two ways to drive it
//
// Orchestrated: an Orchestrator node knows the steps. It sends each
// service Do, waits for Done, and on a failure sends Undo to the completed
// steps in reverse order. It persists each saga's progress on Disk before
// every command, so a restarted orchestrator carries on where it was, and
// it re-sends the current command until it is answered.
//
// Choreographed: no one is in charge. Each service listens to the events
// of its neighbours: payment charges when it hears OrderCreated and
// publishes PaymentCharged; inventory, out of stock, publishes
// StockUnavailable; payment hears it, refunds and publishes
// PaymentRefunded; order hears that and cancels. The flow lives in the
// wiring (ServiceConfig.Prev and Next), which is simpler to start and
// harder to see as a whole.
//
// # Idempotency
//
// Messages are delivered at least once: the network duplicates, and the
// orchestrator retries. A Service records each saga's state on Disk and
// applies an action or a compensation at most once: a second Undo for a
// saga already compensated is answered again but refunds nothing. An Undo
// that overtakes its Do marks the saga compensated, so the late Do is
// refused instead of charging a customer whose order is gone.
//
// Every handler is deterministic and touches the world only through
// sim.Env; Check reads the services' disks after a run and says whether
// every saga ended all done or all undone.
package saga
