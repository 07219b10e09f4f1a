# optscale completion: optscale completion powershell >> $PROFILE
# Registers a completer for optscale only; no key bindings are changed.
Register-ArgumentCompleter -Native -CommandName optscale -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.ToString()
    $upTo = $cursorPosition - $commandAst.Extent.StartOffset
    if ($upTo -ge 0 -and $upTo -lt $line.Length) { $line = $line.Substring(0, $upTo) }
    $saved = @($Env:_OPTSCALE_COMPLETE, $Env:_TYPER_COMPLETE_ARGS,
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE)
    try {
        $Env:_OPTSCALE_COMPLETE = "complete_powershell"
        $Env:_TYPER_COMPLETE_ARGS = $line
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $wordToComplete
        & optscale 2>$null | ForEach-Object {
            $value, $help = $_ -split ":::", 2
            if ([string]::IsNullOrWhiteSpace($help)) { $help = $value }
            [System.Management.Automation.CompletionResult]::new(
                $value, $value, 'ParameterValue', $help)
        }
    } finally {
        $Env:_OPTSCALE_COMPLETE = $saved[0]
        $Env:_TYPER_COMPLETE_ARGS = $saved[1]
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $saved[2]
    }
}
