package i18n

// Traditional Chinese texts of the edge and security scenarios
// (scenarios/edge), by name.
func init() {
	addScenarios(TraditionalChinese, map[string]ScenarioText{
		"api-gateway": {
			Summary: "單一入口：路由、在邊緣驗證身分、每個客戶端各自的速率限制、把兩次後端呼叫彙整成一個回應，以及用逾時與斷路器圍堵故障的後端",
			Doc: `三個客戶端只透過 API 閘道與系統溝通，閘道把每個請求路由到一個後端服務：

  /profile → users      /orders → orders
  /home    → 同時呼叫 users 與 recommendations，合併成一個回應
             （彙整：客戶端只需一次往返，而不是兩次）

閘道在任何東西到達後端之前檢查每個客戶端的權杖（HMAC-SHA256，金鑰由種子導出），
並給每個客戶端一個每秒 40 個請求（突發 10）的令牌桶。客戶端：
alice 每秒送 20 個請求；吵鬧的客戶端 bob 送 200 個；eve 沒有有效的權杖，
送 10 個。

1 秒到 2 秒之間，recommendations 服務變慢：每個請求 800ms，而不是 5–10ms。
兩個閘道並排執行，除此之外完全相同：

  bare     後端要花多久就等多久
  guarded  每次後端呼叫給 50ms（逾時），並放在斷路器之後（連續 5 次
           失敗就打開 250ms）；此時 /home 寧可不附推薦地回應
           （"degraded"），也不會完全不回應。`,
			LookFor: `在邊緣驗證身分：eve 的每個請求都以 401 拒絕，沒有一個到達後端。速率限制：
bob 大部分的請求收到 429，alice 一個也沒有──一個吵鬧的客戶端不會餓死其他人。
彙整：/home 對客戶端來說是一次往返；閘道發出兩次後端呼叫。圍堵：recommendations
變慢時，bare 閘道上 /home 的 p99 攀升到好幾秒；guarded 閘道上則維持在 50ms
左右，以 degraded 回應，而斷路器讓大多數呼叫不必等待就快速失敗。`,
		},
		"service-mesh": {
			Summary: "邊車在每一跳都重試：3 層 × 3 次嘗試，讓故障的後端每個請求被打 27 次；邊車上的重試預算把它壓在約 1.4 倍",
			Doc: `使用者的請求穿過一串服務──frontend、catalog、pricing（旋鈕 layers）──
到達末端的後端 inventory。每個服務旁邊都跑著一個邊車代理（sidecar proxy），
就像 Istio 或 Linkerd：服務只跟自己的邊車說話，邊車之間彼此溝通。
邊車在每一跳替服務做它原本要自己做的事：證明呼叫者是誰（由下一個邊車驗證的 HMAC
身分權杖）、為每次嘗試設定逾時，並重試失敗的呼叫。

1 秒到 2 秒之間，inventory 讓每個請求立刻失敗（503，過載）。
四種網格設定在相同負載下（每秒 40 個使用者請求，泊松）並排執行：

  no-retries           每個邊車只試一次
  edge-retries-only    frontend 的邊車試 3 次（旋鈕 tries），其他的一次
  retries-everywhere   每個邊車都試 3 次：許多服務範本的預設值
  retry-budgets        每個邊車都試 3 次，但最多只重試 10% 的請求
                       （resilience.RetryBudget）

重試以乘法疊加：catalog 邊車的 3 次嘗試中，每一次 pricing 邊車都試 3 次；
frontend 的 3 次中，每一次 catalog 也都如此。`,
			LookFor: `放大倍數欄：inventory 故障期間，每個使用者請求讓 inventory 收到的請求數。
no-retries 1 倍，edge-retries-only 3 倍，retries-everywhere
27 倍（tries^layers；--set layers=4 則為 81 倍），retry-budgets
約 1.4 倍（每個預算允許 10% 的重試再加一點額度，三個疊加起來）。
負載表格就是那張圖：inventory 每秒收到的請求數隨時間的變化，三種設定是平的，
retries-everywhere 則在後端最承受不住的時刻築起一道 27 倍的牆。ok 欄：
重試只救回在 inventory 恢復前不久送出的少數請求；其餘的情況下，
重試一個確定的失敗只是增加負載。`,
			Knobs: map[string]string{
				"layers": "後端之前的服務鏈中有幾個服務，每個都帶有會重試的邊車",
				"tries":  "會重試的邊車每次呼叫的嘗試次數",
			},
		},
		"byzantine": {
			Summary: "五個中有一個說謊者就能破壞 Raft 的共識；帶簽章訊息的拜占庭可靠廣播在 n = 3f+1 時能在 f 個說謊者下維持共識，n = 3f 或沒有簽章時則不行",
			Doc: `容忍當機的共識假設節點要嘛遵守協定、要嘛停止。拜占庭節點什麼都做得出來，
最糟的是對不同的同儕說不同的話（兩面說詞，equivocation），
以及聲稱別人說了他們沒說過的話（偽造）。兩個實驗並排進行。

Raft，五個節點。800ms 時領導者被入侵：網絡讓它兩面說詞
（network.Model.Equivocate，也就是排程動詞 "equivocate" 所觸發的故障），
而這個謊言懂 Raft：在送給名稱最大的兩個跟隨者的每個 AppendEntries 中，
每條命令 "set x=k" 都變成 "set x=666"。領導者的程式碼沒有改變、是誠實的；
從它那裡送出去的東西卻不是。接著它提議三條命令。

拜占庭可靠廣播（consensus/bft 套件：帶簽章的回音廣播，Reiter 1994，
並轉發憑證），n 個節點中有 f 個說謊者（旋鈕 f 與 n；n 預設為 3f+1）。每次廣播，
節點只對一個值回音──也就是投票──並以 ed25519 簽章；一個值要附上由 n−f
個簽章回音組成的憑證才會被遞送。說謊者彼此串通：它們的發起者 n1 把值 X
送給一半誠實節點、把 Y 送給另一半，用每個說謊者的金鑰為兩者簽回音，
再冒充另一半的誠實節點偽造回音，把每張憑證灌到法定人數。
每個誠實節點也廣播一個自己的值。三個叢集：

  n (default 3f+1), signed   檢查簽章
  n = 3f, signed             少了一個節點
  n = 3f+1, unsigned         不檢查簽章（Config.SkipVerify）

金鑰由種子與各節點的名稱導出。`,
			LookFor: `Raft：五個中只要一個說謊者，副本就會在同一個日誌索引套用不同的命令──
領導者與兩個跟隨者上是 "set x=1"，另外兩個是 "set x=666"；Raft 毫無防禦，
因為它信任領導者的日誌。n = 3f+1 且有簽章的 BFT：每個誠實節點都從說謊者那裡遞送
同一個值（X：收到 Y 的那一半拒絕 Y 的憑證，因為其中偽造的回音無法通過驗證，
等誠實節點轉發 X 後就遞送 X），偽造的簽章被計入拒絕，而每個誠實的廣播都被遞送。
n = 3f 時：兩個 n−f = 2f 的法定人數只在 f 個說謊者上重疊，而他們的簽章是真的：
一半誠實節點遞送 X，一半遞送 Y。不檢查簽章的話，n = 3f+1 也不夠：
偽造的回音讓兩張憑證都成為有效的。`,
			Knobs: map[string]string{
				"f": "每個 BFT 叢集中的拜占庭節點數（它們串通）",
				"n": "第一個 BFT 叢集的大小；0 表示 3f+1",
			},
		},
		"jwt-alg-confusion": {
			Summary: "相信權杖 alg 的驗證器，會接受用 RS256 公鑰簽的 HS256 權杖；固定演算法的驗證器會拒絕它；以拒絕清單撤銷，以及它的延遲",
			Doc: `簽發者以 RS256 簽署權杖：使用只有它持有的 RSA 私鑰（由種子導出）。
它的公鑰是公開的──任何客戶端都能取得（JWKS 端點），這對 RS256 來說沒問題：
公鑰只能用來驗證。三台 API 伺服器用那把公鑰檢查權杖：

  trust-header        依權杖標頭指定的演算法，搭配手上的金鑰使用：
                      RS256 → RSA，HS256 → 以公鑰的 PEM 文字為金鑰的
                      HMAC（好幾個 JWT 函式庫曾經如此：CVE-2015-9235）。
  pinned              只接受 RS256。
  pinned-no-deny-list 同 pinned，但沒有拒絕清單。

Mallory 取得公鑰，為自己寫一個權杖 {sub: mallory, role: admin}，在標頭放入
"alg": "HS256"，用以那把公鑰為金鑰的 HMAC 簽署，然後向每個 API 請求 /admin
十次。

同時，alice 登入（權杖有效 2 秒），並在 200ms 時遭到網路釣魚：竊賊每 10ms
就拿她的權杖去呼叫每個 API。1 秒時 alice 撤銷它。簽發者把權杖的 ID
加入拒絕清單，並每 250ms（旋鈕 deny-sync）把清單推送給各 API，
就像共用快取會把它擴散出去那樣。`,
			LookFor: `Mallory 偽造的管理員權杖：trust-header 十次接受十次，固定演算法的驗證器 0 次。
被盜的權杖：每個 API 在拒絕清單送達之前都接受它──window 欄，從 1 秒撤銷起最多
deny-sync 加上一段網絡延遲──之後就拒絕；沒有拒絕清單時，它一直被接受，
直到約 2 秒時過期。無狀態的權杖收不回來；拒絕清單以一次查詢與一段傳播延遲為代
價，換來撤銷的能力。`,
			Knobs: map[string]string{"deny-sync": "簽發者把拒絕清單推送給各 API 的間隔"},
		},
		"zero-trust": {
			Summary: "邊界信任讓一個被入侵的內部服務讀取每一筆客戶資料；每個請求都帶簽章的身分與最小權限則會拒絕它",
			Doc: `四個內部服務──frontend、orders、customers（保存客戶資料）與 recommendations──
以及一個在網際網路上的攻擊者。recommendations 服務已被入侵（比方說，
因為一個有漏洞的相依套件）：攻擊者在網絡內部執行程式碼。在一秒內，
每 100ms 各進行以下五次呼叫：

  frontend → orders      /orders      正當
  orders → customers     /address     正當：寄貨給客戶
  recommendations → customers /all    被入侵的服務，以自己的身分
  recommendations → customers /all    同上，但冒充 orders
  internet → customers   /all         來自外部的攻擊者

三種設計，各有自己的一套服務：

  perimeter      防火牆把外人擋在外面；內部的一切都受信任（網絡位址
                 就是身分）。
  identity-only  每個請求都攜帶呼叫者的憑證（由網格的 CA 簽署，ed25519）
                 以及呼叫者對該請求的簽章；每個服務都驗證兩者。任何通過
                 驗證的服務都可以呼叫任何東西。
  zero-trust     身分，再加上最小權限：customers 只對 orders 回應
                 /address，對任何人都不回應其他東西。

金鑰由種子導出；沒有私鑰，請求中的任何東西都無法偽造。`,
			LookFor: `呼叫對上設計的表格。perimeter：來自內部的一切都被允許，所以被入侵的服務能讀取所
有資料，無論以自己的身分還是冒充 orders；只有外人被拒絕。identity-only：
冒充 orders 的請求被拒絕（它的簽章無法用 orders 的憑證驗證），
但被入侵的服務仍能以自己的身分讀取一切。zero-trust：只有兩個正當的呼叫能通過；
外洩的資料：0。「假設已遭入侵」：問題不在攻擊者是否在內部，
而在於內部允許它做什麼。`,
		},
	})
}
