package saga

// The shop of the example, step by step.
var (
	CreateOrder = Step{Action: "create order", Compensation: "cancel order",
		Done: "OrderCreated", Failed: "OrderRejected", Undone: "OrderCancelled"}
	ChargePayment = Step{Action: "charge payment", Compensation: "refund payment",
		Done: "PaymentCharged", Failed: "PaymentDeclined", Undone: "PaymentRefunded"}
	ReserveStock = Step{Action: "reserve stock", Compensation: "release stock",
		Done: "StockReserved", Failed: "StockUnavailable", Undone: "StockReleased"}
	ScheduleShipment = Step{Action: "schedule shipment", Compensation: "cancel shipment",
		Done: "ShipmentScheduled", Failed: "ShipmentFailed", Undone: "ShipmentCancelled"}
)

// ShopSteps are the example's steps in order: order, payment, inventory,
// shipping.
func ShopSteps() []Step { return []Step{CreateOrder, ChargePayment, ReserveStock, ScheduleShipment} }
