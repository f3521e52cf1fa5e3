// Package broker holds the two shapes a message broker comes in, as
// deterministic sim.Nodes:
//
//   - Queue, a work queue (RabbitMQ, SQS): producers Publish, competing
//     consumers Fetch, each message goes to one consumer at a time and
//     stays invisible to the others for a visibility timeout. An Ack
//     deletes it; no Ack in time and it becomes visible again and is
//     delivered again (at-least-once). Once acknowledged, a message is
//     gone: nobody can read it again.
//
//   - Log, a partitioned log (Kafka): producers Append records, a record's
//     key picks its partition, and a record keeps its offset for ever.
//     Consumers read a partition from an offset they choose and Commit the
//     offset they have processed, per consumer group, so two groups read
//     the same records independently and a group can replay from any
//     offset. Order is kept within a partition, not across partitions.
//
// Both keep their state in memory: the scenarios crash consumers, never the
// broker. Each has Inspect for the TUI (queue depth, messages in flight;
// partition ends and committed offsets).
package broker
