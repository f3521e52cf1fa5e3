package i18n

// The messaging and data chapter's scenarios, registered after the other
// translations were written: their one-line summaries (so `dsim list` is
// whole in every language) and their knobs. Their stories (Doc, LookFor)
// are still English; `go test ./i18n -run TestScenarioTextsAreTranslated -v`
// lists what is missing.
func init() {
	addScenarios(Japanese, map[string]ScenarioText{
		"backup-restore": {
			Summary: "フルバックアップとアーカイブした WAL: 誤った削除の後にポイントインタイムリストア。遅れたレプリカからのバックアップは確認応答済みの書き込みを取りこぼす。壊れたバックアップはリストア時に初めて見つかる",
			Knobs:   map[string]string{"lag": "プライマリがレプリカへ WAL を送る間隔", "corrupt": "プライマリの最新バックアップがアーカイブ内で壊れるかどうか"},
		},
		"broker-queue-vs-log": {
			Summary: "ワークキュー（ack、可視性タイムアウト、競合コンシューマ）と分割ログ（オフセット、コンシューマグループ、再生）: 重複・順序・再生を比べる",
			Knobs:   map[string]string{"visibility": "キューの可視性タイムアウト", "messages": "プロデューサが各ブローカーに送るメッセージ数"},
		},
		"cqrs": {
			Summary: "正規化した書き込みモデルへのコマンドと、イベントで更新される遅れた非正規化読み取りモデル: 自分の書き込みが読めない問題、2 つの対策、ログからの読み取りモデル再構築",
			Knobs:   map[string]string{"lag": "プロジェクタが書き込み側のイベントログをポーリングする間隔", "orders": "各クライアントが出す注文数"},
		},
		"event-sourcing": {
			Summary: "シードの口座をイベントストアで: 再生による残高、N イベントごとのスナップショット、任意の過去時点の残高、残高は負にならず、クラッシュでも確認応答済みのものは失われない",
			Knobs:   map[string]string{"commands": "クライアントが送るコマンド数", "snapshot-every": "サービスがスナップショットを保存するイベント間隔", "crashes": "追記と fsync の間でサービスがクラッシュするコマンド数"},
		},
		"idempotent-consumer": {
			Summary: "支払いの at-least-once 配信: 重複排除がなければクラッシュで支払いが 2 回適用される。同じトランザクション内の処理済み ID 表なら各支払いは 1 回だけ適用される",
			Knobs:   map[string]string{"payments": "プロデューサが発行する支払いメッセージ数", "crashes": "各コンシューマが処理の途中でクラッシュする支払いの数", "visibility": "キューの可視性タイムアウト: 再配信まで ack を待つ時間"},
		},
		"isolation-levels": {
			Summary: "4 つの分離レベルを持つ 1 つのストアで、並行クライアントが 5 つの古典的な異常を演じる: 各レベルがどれを許すか、各履歴への Adya チェッカーの判定",
		},
		"multi-leader": {
			Summary: "2 つのリージョンがともに書き込みを受け付け非同期に複製する: 後勝ち（last-writer-wins）は並行更新を失う（時計のずれがあると古い書き込みが勝つ）。PN カウンタと OR-Set はすべて保つ",
			Knobs:   map[string]string{"skew": "東京の時計が真の時刻より進んでいる量", "sync": "リージョンが相手に状態を送る間隔"},
		},
		"outbox": {
			Summary: "二重書き込みはクラッシュでイベントを失うか、ロールバックされた注文のイベントを発行する。トランザクショナル・アウトボックスは何も失わず、その重複は下流で吸収される",
			Knobs:   map[string]string{"orders": "クライアントが出す注文数", "crashes": "各サービスが処理の途中でクラッシュする注文の数", "relay-every": "アウトボックスのリレーが表をポーリングする間隔"},
		},
		"read-replicas": {
			Summary: "シード 001 のマスター/スレーブ: 書き込みはリーダーへ、読み取りはフォロワーへ分散。読み取りスループットはフォロワーとともに伸び、遅延は古い読み取りと自分の書き込みが読めない違反を生み、セッショントークンかリーダーからの読み取りで直る",
			Knobs:   map[string]string{"lag": "リーダーがフォロワーへログを送る間隔（複製遅延）", "followers": "一貫性グループ（第 2 部）のフォロワー数"},
		},
	})
	addScenarios(TraditionalChinese, map[string]ScenarioText{
		"backup-restore": {
			Summary: "完整備份加上歸檔的 WAL：誤刪之後的時間點還原；從落後副本做的備份會漏掉已確認的寫入；損壞的備份要到還原時才被發現",
			Knobs:   map[string]string{"lag": "主節點將 WAL 送往副本的頻率", "corrupt": "主節點最新的備份是否在歸檔中損壞"},
		},
		"broker-queue-vs-log": {
			Summary: "工作佇列（ack、可見性逾時、競爭消費者）對上分割日誌（偏移量、消費者群組、重播）：比較重複、順序與重播",
			Knobs:   map[string]string{"visibility": "佇列的可見性逾時", "messages": "生產者送往每個代理的訊息數"},
		},
		"cqrs": {
			Summary: "命令寫入正規化的寫入模型，由事件餵給會落後的非正規化讀取模型：違反讀己之寫、兩種修正，以及從日誌重建讀取模型",
			Knobs:   map[string]string{"lag": "投影器輪詢寫入端事件日誌的頻率", "orders": "每個客戶端下的訂單數"},
		},
		"event-sourcing": {
			Summary: "把種子文件的帳戶做成事件儲存：以重播得出餘額、每 N 個事件一個快照、任何過去時刻的餘額、餘額不為負、崩潰時不遺失已確認的事件",
			Knobs:   map[string]string{"commands": "客戶端送出的命令數", "snapshot-every": "服務每隔多少個事件儲存一次快照", "crashes": "服務在追加與 fsync 之間崩潰的命令數"},
		},
		"idempotent-consumer": {
			Summary: "支付的至少一次投遞：沒有去重時，崩潰會讓一筆支付被套用兩次；在同一交易中寫入已處理 ID 表，則每筆只套用一次",
			Knobs:   map[string]string{"payments": "生產者發布的支付訊息數", "crashes": "每個消費者在處理途中崩潰的支付數", "visibility": "佇列的可見性逾時：重新投遞前等待 ack 的時間"},
		},
		"isolation-levels": {
			Summary: "一個具有四種隔離等級的儲存，由並行客戶端演出五種經典異常：每個等級放行哪些，以及 Adya 檢查器對每段歷史的判定",
		},
		"multi-leader": {
			Summary: "兩個區域都接受寫入並非同步複製：最後寫入者勝會遺失並行更新（有時鐘偏差時，較舊的寫入勝出）；PN 計數器與 OR-Set 全部保留",
			Knobs:   map[string]string{"skew": "東京的時鐘比真實時間快多少", "sync": "區域將狀態送給另一方的頻率"},
		},
		"outbox": {
			Summary: "雙寫在崩潰時會遺失事件，或為已回滾的訂單發布事件；交易式 outbox 不遺失任何事件，其重複由下游吸收",
			Knobs:   map[string]string{"orders": "客戶端下的訂單數", "crashes": "每個服務在處理途中崩潰的訂單數", "relay-every": "outbox 中繼輪詢其表格的頻率"},
		},
		"read-replicas": {
			Summary: "種子 001 的主從架構：寫入送往領導者，讀取分散到跟隨者；讀取吞吐量隨跟隨者增加，延遲造成過時讀取與讀己之寫違反，以會話令牌或讀取領導者修正",
			Knobs:   map[string]string{"lag": "領導者將日誌送往跟隨者的頻率（複製延遲）", "followers": "一致性群組（第二部分）的跟隨者數"},
		},
	})
}
